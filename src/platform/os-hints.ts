// What hints tell a user to type or set, per operating system: a Windows user has no `shred`,
// `chmod` or /dev/urandom, and sets %APPDATA% where others set XDG_CONFIG_HOME (paths.ts).

/** The variable that moves cdcreds' config folder (paths.ts): `APPDATA` on Windows, else `XDG_CONFIG_HOME`. */
export const configDirVariable = (platform: NodeJS.Platform): string => (platform === "win32" ? "APPDATA" : "XDG_CONFIG_HOME");

/** A file name as typed: quoted (single quotes, in the shell's way or PowerShell's) unless it is plain. */
function quoted(file: string, platform: NodeJS.Platform): string {
  if (/^[\w./:\\-]+$/.test(file)) return file;
  return platform === "win32" ? `'${file.replaceAll("'", "''")}'` : `'${file.replaceAll("'", "'\\''")}'`;
}

/**
 * How to delete a file that holds secrets in clear (what `import` read), for "delete it now (…)",
 * the name quoted when it must be, so the command can be pasted whatever it holds (spaces, `$(...)`).
 */
export const deleteFileCommand = (file: string, platform: NodeJS.Platform): string =>
  platform === "win32"
    ? `Remove-Item -LiteralPath ${quoted(file, platform)} in PowerShell, or del "${file}": not to the Recycle Bin`
    : `shred -u ${quoted(file, platform)}, or rm`;

/** How to make a key file (32 random bytes, or their base64), as a hint's "make one …". */
export const makeKeyFileHint = (platform: NodeJS.Platform): string =>
  platform === "win32"
    ? "make one in PowerShell with `$k = New-Object byte[] 32; [Security.Cryptography.RandomNumberGenerator]::Create().GetBytes($k); [Convert]::ToBase64String($k) | Set-Content -NoNewline FILE`, FILE in a folder of your profile (only you can read it there)"
    : "make one with `head -c 32 /dev/urandom > FILE && chmod 600 FILE` (or `openssl rand -base64 32`)";
