// What hints tell a user to type or set, per operating system: a Windows user has no `shred`,
// `chmod` or /dev/urandom, and sets %APPDATA% where others set XDG_CONFIG_HOME (paths.ts).

/** The variable that moves cdcreds' config folder (paths.ts): `APPDATA` on Windows, else `XDG_CONFIG_HOME`. */
export const configDirVariable = (platform: NodeJS.Platform): string => (platform === "win32" ? "APPDATA" : "XDG_CONFIG_HOME");

/** How to delete a file that holds secrets in clear (what `import` read), for "delete it now (…)". */
export const deleteFileCommand = (file: string, platform: NodeJS.Platform): string =>
  platform === "win32" ? `Remove-Item ${file} in PowerShell, or del ${file}: not to the Recycle Bin` : `shred -u ${file}, or rm`;

/** How to make a key file (32 random bytes, or their base64), as a hint's "make one …". */
export const makeKeyFileHint = (platform: NodeJS.Platform): string =>
  platform === "win32"
    ? "make one in PowerShell with `$k = New-Object byte[] 32; [Security.Cryptography.RandomNumberGenerator]::Create().GetBytes($k); [Convert]::ToBase64String($k) | Set-Content -NoNewline FILE`, FILE in a folder of your profile (only you can read it there)"
    : "make one with `head -c 32 /dev/urandom > FILE && chmod 600 FILE` (or `openssl rand -base64 32`)";
