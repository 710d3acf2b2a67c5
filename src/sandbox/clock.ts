/**
 * The sandbox's virtual time: `anchor + real time elapsed × speed`. Release day's 90 minutes pass in
 * 90 seconds at 60×. Changing the speed re-anchors at the current virtual time, so time never jumps.
 */
export class SandboxClock {
  private anchor: number;
  private realAnchor: number;
  private currentSpeed: number;
  private readonly realNow: () => number;

  constructor(options: { speed: number; anchor?: number; realNow?: () => number }) {
    this.realNow = options.realNow ?? Date.now;
    this.currentSpeed = checkedSpeed(options.speed);
    this.realAnchor = this.realNow();
    this.anchor = options.anchor ?? this.realAnchor;
  }

  /** Virtual milliseconds since the epoch. */
  now(): number {
    return this.anchor + Math.floor((this.realNow() - this.realAnchor) * this.currentSpeed);
  }

  get speed(): number {
    return this.currentSpeed;
  }

  setSpeed(speed: number): void {
    const checked = checkedSpeed(speed);
    this.anchor = this.now();
    this.realAnchor = this.realNow();
    this.currentSpeed = checked;
  }
}

/** The speeds the page offers; SANDBOX_SPEED may set any speed from 1 to 3600. */
export const SPEED_CHOICES = [1, 60, 600] as const;

function checkedSpeed(speed: number): number {
  if (!Number.isFinite(speed) || speed < 1 || speed > 3600) throw new RangeError(`clock speed must be from 1 to 3600, not ${speed}`);
  return speed;
}
