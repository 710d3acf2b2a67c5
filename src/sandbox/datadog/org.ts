/** What the stand-in's parts share: its address, its clock, its id sequence, and its change signal. */
export interface Org {
  url: string;
  clock: () => number;
  /** The next number of the organization's one sequence (ids depend only on what was done). */
  nextSeq: () => number;
  /** Emits the stand-in's 'change'. */
  changed: () => void;
}
