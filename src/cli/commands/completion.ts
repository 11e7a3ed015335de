import type { Command, Option } from "commander";
import type { CommandResult } from "../context.js";
import { UsageError } from "../../errors.js";

const SHELLS = ["bash", "zsh", "fish", "powershell"] as const;
type Shell = (typeof SHELLS)[number];

interface OptionSpec {
  flags: string[];
  description: string;
  /** Values the option takes, when it has a fixed set. */
  choices: readonly string[] | undefined;
  /** True when the next word is the option's value (`--env prod`), not a command. */
  takesValue: boolean;
}

interface CommandSpec {
  name: string;
  description: string;
  options: OptionSpec[];
  /** Values of the first argument, when it has a fixed set. */
  argChoices: readonly string[] | undefined;
}

function optionSpec(option: Option): OptionSpec {
  const flags = [option.long, option.short].filter((f): f is string => f !== undefined);
  return { flags, description: option.description, choices: option.argChoices, takesValue: option.required || option.optional };
}

/** A shell `case` pattern of every flag that takes a value, so the word after one is skipped. */
const valueFlags = (options: OptionSpec[]): string => [...new Set(options.filter((o) => o.takesValue).flatMap((o) => o.flags))].join("|");

function describe(program: Command): { globals: OptionSpec[]; commands: CommandSpec[] } {
  const help = { flags: ["--help", "-h"], description: "display help", choices: undefined, takesValue: false };
  return {
    globals: [...program.options.map(optionSpec), help],
    commands: program.commands.map((cmd) => ({
      name: cmd.name(),
      description: cmd.description(),
      options: [...cmd.options.map(optionSpec), help],
      argChoices: cmd.registeredArguments[0]?.argChoices,
    })),
  };
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const allFlags = (options: OptionSpec[]): string => options.flatMap((o) => o.flags).join(" ");

function bash({ globals, commands }: ReturnType<typeof describe>): string {
  const valueCases = [...globals, ...commands.flatMap((c) => c.options)]
    .filter((o) => o.choices !== undefined)
    .map((o) => `    ${o.flags.join("|")}) COMPREPLY=($(compgen -W ${quote(o.choices!.join(" "))} -- "$cur")); return ;;`);
  const commandCases = commands.map((c) => {
    const words = [allFlags(c.options), allFlags(globals), ...(c.argChoices ?? [])].join(" ");
    return `    ${c.name}) words=${quote(words)} ;;`;
  });
  return `# bash completion for cdcreds: eval "$(cdcreds completion bash)"
_cdcreds() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" cmd="" words i
  case "$prev" in
${[...new Set(valueCases)].join("\n")}
  esac
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in --) return ;; ${valueFlags([...globals, ...commands.flatMap((c) => c.options)])}) ((i++)) ;; -*) ;; *) cmd="\${COMP_WORDS[i]}"; break ;; esac
  done
  case "$cmd" in
    "") words=${quote([...commands.map((c) => c.name), allFlags(globals)].join(" "))} ;;
${commandCases.join("\n")}
    *) return ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _cdcreds cdcreds
`;
}

const zshItem = (name: string, description: string): string => quote(`${name.replace(/:/g, "\\:")}:${description}`);

function zsh({ globals, commands }: ReturnType<typeof describe>): string {
  const describeOptions = (options: OptionSpec[]): string =>
    options.flatMap((o) => o.flags.map((f) => zshItem(f, o.description))).join(" ");
  const valueCases = [...globals, ...commands.flatMap((c) => c.options)]
    .filter((o) => o.choices !== undefined)
    .map((o) => `    ${o.flags.join("|")}) compadd -- ${o.choices!.join(" ")}; return ;;`);
  const commandCases = commands.map(
    (c) =>
      `    ${c.name}) opts=(${describeOptions(c.options)} ${describeOptions(globals)})${c.argChoices ? `; compadd -- ${c.argChoices.join(" ")}` : ""} ;;`,
  );
  return `#compdef cdcreds
# zsh completion for cdcreds: eval "$(cdcreds completion zsh)", or save as _cdcreds in your $fpath
_cdcreds() {
  local -a cmds opts
  cmds=(${commands.map((c) => zshItem(c.name, c.description)).join(" ")})
  case "\${words[CURRENT-1]}" in
${[...new Set(valueCases)].join("\n")}
  esac
  local cmd="" i
  for ((i = 2; i < CURRENT; i++)); do
    case "\${words[i]}" in --) return ;; ${valueFlags([...globals, ...commands.flatMap((c) => c.options)])}) ((i++)) ;; -*) ;; *) cmd="\${words[i]}"; break ;; esac
  done
  if [[ -z "$cmd" ]]; then
    _describe -t commands 'cdcreds command' cmds
    opts=(${describeOptions(globals)})
    _describe -t options 'option' opts
    return
  fi
  case "$cmd" in
${commandCases.join("\n")}
    *) return ;;
  esac
  _describe -t options 'option' opts
}
if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then _cdcreds "$@"; else compdef _cdcreds cdcreds; fi
`;
}

function fish({ globals, commands }: ReturnType<typeof describe>): string {
  const optionLine = (o: OptionSpec, condition: string): string => {
    const flags = o.flags.map((f) => (f.startsWith("--") ? `-l ${f.slice(2)}` : `-s ${f.slice(1)}`)).join(" ");
    const values = o.choices ? ` -x -a ${quote(o.choices.join(" "))}` : "";
    return `complete -c cdcreds${condition} ${flags}${values} -d ${quote(o.description)}`;
  };
  const lines = [
    "# fish completion for cdcreds: cdcreds completion fish | source",
    "complete -c cdcreds -f",
    ...commands.map((c) => `complete -c cdcreds -n __fish_use_subcommand -a ${c.name} -d ${quote(c.description)}`),
    ...globals.map((o) => optionLine(o, "")),
    ...commands.flatMap((c) => {
      const condition = ` -n '__fish_seen_subcommand_from ${c.name}'`;
      const args = c.argChoices ? [`complete -c cdcreds${condition} -a ${quote(c.argChoices.join(" "))}`] : [];
      return [...c.options.filter((o) => o.flags[0] !== "--help").map((o) => optionLine(o, condition)), ...args];
    }),
  ];
  return `${lines.join("\n")}\n`;
}

/** A PowerShell literal string: `'` doubled, and the typographic quotes PowerShell reads as `'` too. */
const psQuote = (s: string): string => `'${s.replace(/['\u2018\u2019\u201a\u201b]/g, "$&$&")}'`;
const psArray = (items: readonly string[]): string => `@(${items.map(psQuote).join(", ")})`;
/**
 * A table of `entries` named `name`, one statement an entry. Case-sensitive (Ordinal): a PowerShell
 * hashtable ignores case, and `-h` (help) and `-H` (api's --header) are two options.
 */
const psTable = (name: string, entries: (readonly [string, string])[]): string =>
  [
    `  $${name} = [hashtable]::new([StringComparer]::Ordinal)`,
    ...entries.map(([key, value]) => `  $${name}[${psQuote(key)}] = ${value}`),
  ].join("\n");

/**
 * A native argument completer (Register-ArgumentCompleter -Native), for Windows PowerShell 5.1 and
 * PowerShell 7 on every OS: the rules of the bash script (an option's value, else the command's
 * name, then its options; nothing after `--`), each command's and option's description as its
 * tooltip. Registered for the names npm installs on Windows too (`cdcreds.ps1`, `cdcreds.cmd`).
 */
function powershell({ globals, commands }: ReturnType<typeof describe>): string {
  const all = [...globals, ...commands.flatMap((c) => c.options)];
  const byFlag = <T>(pick: (o: OptionSpec) => T | undefined): (readonly [string, T])[] => {
    const table = new Map<string, T>();
    for (const o of all) {
      const value = pick(o);
      if (value !== undefined) for (const flag of o.flags) if (!table.has(flag)) table.set(flag, value);
    }
    return [...table];
  };
  const values = byFlag((o) => o.choices).map(([flag, choices]) => [flag, psArray(choices)] as const);
  const takesValue = byFlag((o) => (o.takesValue ? "$true" : undefined));
  const tips = byFlag((o) => psQuote(o.description));
  const options = commands.map((c) => [c.name, psArray([...c.options.flatMap((o) => o.flags), ...(c.argChoices ?? [])])] as const);
  return `# PowerShell completion for cdcreds: cdcreds completion powershell | Out-String | Invoke-Expression
# (add that line to your $PROFILE), or save the script as a .ps1 file and dot-source it there.
Register-ArgumentCompleter -Native -CommandName cdcreds, cdcreds.ps1, cdcreds.cmd -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
${psTable(
  "commands",
  commands.map((c) => [c.name, psQuote(c.description)] as const),
)}
  $globals = ${psArray(globals.flatMap((o) => o.flags))}
${psTable("options", options)}
${psTable("values", values)}
${psTable("takesValue", takesValue)}
${psTable("tips", tips)}
  # The words before the one being completed, the command's own name first.
  $words = @($commandAst.CommandElements | Where-Object { $_.Extent.EndOffset -lt $cursorPosition } | ForEach-Object { $_.Extent.Text })
  if ($words.Count -gt 1 -and $values.ContainsKey($words[-1])) {
    $candidates = $values[$words[-1]]
  } else {
    $command = ''
    for ($i = 1; $i -lt $words.Count; $i++) {
      $word = $words[$i]
      # What follows -- is the program's (written '--' or \`-- in PowerShell, which takes a bare -- for itself).
      if ($word -ceq '--' -or $word -ceq "'--'" -or $word -ceq '"--"' -or $word -ceq '\`--') { return }
      if ($takesValue.ContainsKey($word)) { $i++; continue }
      if ($word.StartsWith('-')) { continue }
      $command = $word
      break
    }
    if ($command -eq '') { $candidates = @($commands.Keys | Sort-Object) + $globals }
    elseif ($options.ContainsKey($command)) { $candidates = $options[$command] + $globals }
    else { return }
  }
  $pattern = [System.Management.Automation.WildcardPattern]::Escape($wordToComplete) + '*'
  foreach ($candidate in $candidates) {
    if ($candidate -notlike $pattern) { continue }
    $tip = if ($commands.ContainsKey($candidate)) { $commands[$candidate] } elseif ($tips.ContainsKey($candidate)) { $tips[$candidate] } else { $candidate }
    if (-not $tip) { $tip = $candidate } # CompletionResult refuses an empty tooltip
    $type = if ($candidate.StartsWith('-')) { 'ParameterName' } else { 'ParameterValue' }
    [System.Management.Automation.CompletionResult]::new($candidate, $candidate, $type, $tip)
  }
}
`;
}

/** `cdcreds completion bash|zsh|fish|powershell`: a completion script built from the program's own commands. */
export function completion(program: Command, shell: string): CommandResult {
  if (!(SHELLS as readonly string[]).includes(shell)) {
    throw new UsageError(`unknown shell "${shell}": use ${SHELLS.join(", ")}`);
  }
  const spec = describe(program);
  const generators: Record<Shell, (s: typeof spec) => string> = { bash, zsh, fish, powershell };
  return { stdout: generators[shell as Shell](spec) };
}
