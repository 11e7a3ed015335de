// How old a stored secret is: the `--older-than` and `--max-age` values, and the age `list` shows.
// The date comes from the account index (`secretSetAt`); an account stored before cdcreds recorded
// it has no date, and its age is unknown: never a made-up one.
import { UsageError } from "../errors.js";

const DAY = 86_400_000;
/** The units of an age: days, weeks, months of 30 days, years of 365 days. */
const UNITS: Record<string, number> = { d: DAY, w: 7 * DAY, m: 30 * DAY, y: 365 * DAY };

/**
 * An age as `--older-than`/`--max-age` take it (`90d`, `12w`, `6m`, `1y`): a whole number from 1
 * and one unit (d days, w weeks, m months of 30 days, y years of 365 days), in milliseconds.
 * @throws {UsageError} (exit 2) naming the flag for anything else.
 */
export function parseAge(value: string, flag: string): number {
  const match = /^([1-9]\d{0,5})([dwmy])$/.exec(value);
  if (match === null) {
    throw new UsageError(`${flag} must be a whole number and a unit, as 90d, 12w, 6m or 1y, not "${value}"`, {
      hint: "units: d days, w weeks, m months (30 days), y years (365 days)",
    });
  }
  return Number(match[1]) * UNITS[match[2]!]!;
}

/** Milliseconds since `setAt` (an ISO-8601 time), or undefined when it is unknown. */
export const ageOf = (setAt: string | undefined, now: Date): number | undefined =>
  setAt === undefined ? undefined : now.getTime() - Date.parse(setAt);

const count = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? "" : "s"}`;

/** An age for people: "< 1 day", "3 days", "14 months", "3 years"; "unknown" without a date. */
export function ageText(setAt: string | undefined, now: Date): string {
  const age = ageOf(setAt, now);
  if (age === undefined) return "unknown";
  const days = Math.floor(age / DAY);
  if (days < 1) return "< 1 day";
  if (days < 60) return count(days, "day");
  if (days < 730) return count(Math.floor(days / 30), "month");
  return count(Math.floor(days / 365), "year");
}
