import { z } from 'zod';
import { CHECKLIST_KEYS, type ChecklistKey } from '../domain/plan-schedule.js';
import { HOTFIX_STEP_KEYS } from '../domain/policy.js';
import { ROLLBACK_CHECKLIST, type RollbackItem } from '../domain/rollback.js';
import { parseVersion } from '../domain/version.js';

/**
 * The values of every button, checkbox and modal tminus sends: what each was made for, so a click can be
 * checked against what is true now. Fields are joined with `|`; ids are uuids. Builders only join (the
 * fields come from the database); parsers check every field's shape, so a forged or garbled value never
 * reaches a query (Postgres throws on a malformed uuid). A parser answers undefined for a value it cannot read.
 */

/** Slack's limits: a button's value, a checkbox option's value, a modal's private_metadata. */
export const VALUE_LIMITS = { button: 2000, option: 150, privateMetadata: 3000 } as const;

/** What a person sees when a value cannot be read; nothing was changed. */
export const UNREADABLE_VALUE =
  "⚠️ tminus could not read this button: it may come from an old or edited message. Nothing was changed. `/release status` shows where things stand.";

const SEPARATOR = '|';

export interface GateRef {
  releaseId: string;
  gateId: string;
}
/** A gate's buttons from messages posted before values carried the release carry only the gate id. */
export type ParsedGateRef = { gateId: string; releaseId?: string };

export const HOTFIX_STEPS = [...HOTFIX_STEP_KEYS, 'deployed', 'monitored'] as const;
export type HotfixStep = (typeof HOTFIX_STEPS)[number];
export interface HotfixStepRef {
  releaseId: string;
  step: HotfixStep;
}

export interface RollbackNowRef {
  releaseId: string;
  /** The version the alert was about; absent in values from messages posted before it was carried. */
  version?: string;
}

export interface RollbackItemRef {
  releaseId: string;
  item: RollbackItem;
}

export interface ChecklistItemRef {
  planId: string;
  checklist: ChecklistKey;
  /** `<section>.<item>`, as domain/checklist numbers them. */
  item: string;
}

const id = z.guid();
const version = z.string().refine((v) => {
  const parsed = parseVersion(v);
  return parsed.ok && parsed.version.tag === v;
});
const hotfixStep = z.enum(HOTFIX_STEPS);
const rollbackItem = z.enum(ROLLBACK_CHECKLIST.map((i) => i.key) as [RollbackItem, ...RollbackItem[]]);
const checklistKey = z.enum(CHECKLIST_KEYS as [ChecklistKey, ...ChecklistKey[]]);
const checklistItem = z.string().regex(/^\d{1,3}\.\d{1,3}$/);

/** A value of `|`-separated fields, within `max` characters. */
function fields<T extends [z.ZodType, ...z.ZodType[]]>(max: number, ...parts: T) {
  return z
    .string()
    .min(1)
    .max(max)
    .transform((value) => value.split(SEPARATOR))
    .pipe(z.tuple(parts));
}

const gateSchema = z.union([
  fields(VALUE_LIMITS.button, id, id).transform(([releaseId, gateId]) => ({ releaseId, gateId })),
  fields(VALUE_LIMITS.button, id).transform(([gateId]) => ({ gateId })),
]);
const hotfixStepSchema = fields(VALUE_LIMITS.button, id, hotfixStep).transform(([releaseId, step]) => ({ releaseId, step }));
const rollbackNowSchema = z.union([
  fields(VALUE_LIMITS.button, id, version).transform(([releaseId, v]) => ({ releaseId, version: v })),
  fields(VALUE_LIMITS.button, id).transform(([releaseId]) => ({ releaseId })),
]);
const rollbackItemSchema = fields(VALUE_LIMITS.option, id, rollbackItem).transform(([releaseId, item]) => ({ releaseId, item }));
const checklistItemSchema = fields(VALUE_LIMITS.option, id, checklistKey, checklistItem).transform(([planId, checklist, item]) => ({ planId, checklist, item }));
/** The block id of a pre-release checklist's checkboxes: `checklist:<plan id>:<checklist>:<section>:<start>`. */
const checklistBlockSchema = z
  .string()
  .max(255)
  .transform((value) => value.split(':'))
  .pipe(z.tuple([z.literal('checklist'), id, checklistKey], z.string()))
  .transform(([, planId, checklist]) => ({ planId, checklist }));
const planSchema = fields(VALUE_LIMITS.button, id).transform(([planId]) => planId);
const preDeploymentKey = z.string().regex(/^[a-z][A-Za-z0-9]{0,39}$/);
const preDeploymentSchema = fields(VALUE_LIMITS.option, id, id, preDeploymentKey).transform(([releaseId, gateId, key]) => ({ releaseId, gateId, key }));

function join(limit: number, ...parts: string[]): string {
  const value = parts.join(SEPARATOR);
  // The fields come from the database: a value past Slack's limit is a bug, not a user's doing.
  if (value.length > limit) throw new Error(`a button value of ${value.length} characters is over Slack's limit of ${limit}`);
  return value;
}

function read<T>(schema: z.ZodType<T>, value: unknown): T | undefined {
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** Approve and Reject on a gate, and the rejection modal's private_metadata: `<release id>|<gate id>`. */
export function gateValue(ref: GateRef): string {
  return join(VALUE_LIMITS.button, ref.releaseId, ref.gateId);
}

export function parseGateValue(value: unknown): ParsedGateRef | undefined {
  return read(gateSchema, value);
}

/** A hotfix step's button: `<release id>|<step>`. */
export function hotfixStepValue(ref: { releaseId: string; step: string }): string {
  return join(VALUE_LIMITS.button, ref.releaseId, ref.step);
}

export function parseHotfixStepValue(value: unknown): HotfixStepRef | undefined {
  return read(hotfixStepSchema, value);
}

/** "Roll back now" on a critical alert: `<release id>|<version>`. */
export function rollbackNowValue(ref: { releaseId: string; version: string }): string {
  return join(VALUE_LIMITS.button, ref.releaseId, ref.version);
}

export function parseRollbackNowValue(value: unknown): RollbackNowRef | undefined {
  return read(rollbackNowSchema, value);
}

/** An item of the rollback verification checklist: `<release id>|<item>`. */
export function rollbackItemValue(ref: { releaseId: string; item: string }): string {
  return join(VALUE_LIMITS.option, ref.releaseId, ref.item);
}

export function parseRollbackItemValue(value: unknown): RollbackItemRef | undefined {
  return read(rollbackItemSchema, value);
}

/** An item of a pre-release checklist: `<plan id>|<checklist>|<item>`. */
export function checklistItemValue(ref: { planId: string; checklist: string; item: string }): string {
  return join(VALUE_LIMITS.option, ref.planId, ref.checklist, ref.item);
}

/**
 * Reads a pre-release checklist option. Options posted before values carried the plan hold only the
 * item (`0.3`): the plan and the checklist then come from the checkboxes' block id.
 */
export function parseChecklistItemValue(value: unknown, blockId?: string): ChecklistItemRef | undefined {
  const full = read(checklistItemSchema, value);
  if (full) return full;
  const item = read(checklistItem, value);
  const block = read(checklistBlockSchema, blockId);
  return item && block ? { ...block, item } : undefined;
}

/** The plan and checklist of a pre-release checklist's checkboxes, from their block id (for an untick). */
export function parseChecklistBlockId(blockId: unknown): { planId: string; checklist: ChecklistKey } | undefined {
  return read(checklistBlockSchema, blockId);
}

export interface PreDeploymentRef {
  releaseId: string;
  gateId: string;
  /** The check's `preDeploymentChecks.items[].key`. */
  key: string;
}

/** A pre-deployment check of a production gate: `<release id>|<gate id>|<check key>`. */
export function preDeploymentValue(ref: PreDeploymentRef): string {
  return join(VALUE_LIMITS.option, ref.releaseId, ref.gateId, ref.key);
}

export function parsePreDeploymentValue(value: unknown): PreDeploymentRef | undefined {
  return read(preDeploymentSchema, value);
}

/** A planned release's override button and modal: `<plan id>`. */
export function planValue(planId: string): string {
  return join(VALUE_LIMITS.button, planId);
}

export function parsePlanValue(value: unknown): string | undefined {
  return read(planSchema, value);
}
