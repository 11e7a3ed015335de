import { UsageError } from "../errors.js";

/** The Cdiscount environments cdcreds knows. */
export const ENVIRONMENTS = ["prod", "preprod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** Parses an environment name. @throws {UsageError} for any other value. */
export function parseEnvironment(value: string, source: string): Environment {
  if ((ENVIRONMENTS as readonly string[]).includes(value)) return value as Environment;
  throw new UsageError(`unknown environment "${value}" from ${source}: use ${ENVIRONMENTS.join(" or ")}`);
}
