// The word `list` and `doctor` give about API logins: the SOAP API they belong to is retired by
// Octopia, and `cdcreds migrate` moves one to an Octopia seller API client.

/** How API logins are marked. */
const RETIRED = "SOAP API (retired by Octopia)";
/** Names shown before the rest are counted: an agency's thousand logins stay one line. */
const SHOWN = 3;

/** The one-line note about these API logins (distinct names), or undefined when there are none. */
export function retiredApiNote(apiLogins: readonly string[]): string | undefined {
  const names = [...new Set(apiLogins)];
  if (names.length === 0) return undefined;
  if (names.length === 1) return `${names[0]}: ${RETIRED}: \`cdcreds migrate ${names[0]}\` moves it to an Octopia client`;
  const more = names.length > SHOWN ? ` and ${names.length - SHOWN} more` : "";
  return `${names.length} API logins (${names.slice(0, SHOWN).join(", ")}${more}): ${RETIRED}: \`cdcreds migrate <api-login>\` moves one to an Octopia client`;
}
