/*
 * pycred: the Windows Credential Manager calls Python's keyring makes (keyring/backends/Windows.py,
 * WinVaultKeyring), for the Windows lane to check that each side reads what the other writes.
 * Build: x86_64-w64-mingw32-gcc -municode -O2 -o pycred.exe pycred.c -ladvapi32
 *
 *   pycred get <service> <user>             Python's get_password: target <service> if its UserName is
 *                                           <user>, else target <user>@<service>; the secret to stdout
 *   pycred set <service> <user> <file>      Python's set_password: a previous <service> of another user
 *                                           moves to <thatuser>@<service>; the secret is read from <file>
 *   pycred write <target> <user> <file>     one CredWriteW, the secret read from <file> (UTF-8)
 *   pycred write-raw <target> <user> <file> the file's bytes as the blob, as is (an odd count makes
 *                                           a credential that is not UTF-16: another program's)
 *   pycred read <target>                    one CredReadW: "<UserName>\n<secret>" to stdout
 *   pycred list <filter>                    CredEnumerateW: one target name a line
 *   pycred delete <target>                  one CredDeleteW
 * Secrets go through files, never the command line. Exit 0, 3 when not found, 1 on another error.
 */
#include <windows.h>
#include <wincred.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>
#include <fcntl.h>
#include <io.h>

static void put_utf8(const WCHAR *text, int units) {
  int n = WideCharToMultiByte(CP_UTF8, 0, text, units, NULL, 0, NULL, NULL);
  char *out = malloc(n + 1);
  WideCharToMultiByte(CP_UTF8, 0, text, units, out, n, NULL, NULL);
  fwrite(out, 1, n, stdout);
  free(out);
}

static int fail(const char *what) {
  DWORD e = GetLastError();
  if (e == ERROR_NOT_FOUND) return 3;
  fprintf(stderr, "pycred: %s failed: error %lu\n", what, e);
  return 1;
}

/* The UTF-8 file's content as UTF-16 (the secret, as Python's str), or NULL. */
static WCHAR *read_secret(const WCHAR *path, DWORD *bytes) {
  FILE *f = _wfopen(path, L"rb");
  if (f == NULL) return NULL;
  static char raw[65536];
  size_t n = fread(raw, 1, sizeof raw, f);
  fclose(f);
  int units = MultiByteToWideChar(CP_UTF8, 0, raw, (int)n, NULL, 0);
  WCHAR *text = malloc((units + 1) * sizeof(WCHAR));
  MultiByteToWideChar(CP_UTF8, 0, raw, (int)n, text, units);
  *bytes = units * sizeof(WCHAR);
  return text;
}

static int write_cred(const WCHAR *target, const WCHAR *user, const BYTE *blob, DWORD bytes) {
  CREDENTIALW c = {0};
  c.Type = CRED_TYPE_GENERIC;
  c.TargetName = (LPWSTR)target;
  c.UserName = (LPWSTR)user;
  c.CredentialBlob = (LPBYTE)blob;
  c.CredentialBlobSize = bytes;
  c.Comment = L"Stored using python-keyring";
  c.Persist = CRED_PERSIST_ENTERPRISE;
  return CredWriteW(&c, 0) ? 0 : fail("CredWriteW");
}

int wmain(int argc, WCHAR **argv) {
  PCREDENTIALW c = NULL;
  _setmode(_fileno(stdout), _O_BINARY); /* the secret byte for byte, no CRLF */
  if (argc == 4 && wcscmp(argv[1], L"get") == 0) {
    WCHAR compound[1024];
    if (!CredReadW(argv[2], CRED_TYPE_GENERIC, 0, &c) || c->UserName == NULL || wcscmp(c->UserName, argv[3]) != 0) {
      if (c != NULL) CredFree(c);
      _snwprintf(compound, 1024, L"%ls@%ls", argv[3], argv[2]);
      if (!CredReadW(compound, CRED_TYPE_GENERIC, 0, &c)) return fail("CredReadW");
    }
    put_utf8((WCHAR *)c->CredentialBlob, c->CredentialBlobSize / 2);
    CredFree(c);
    return 0;
  }
  if (argc == 5 && (wcscmp(argv[1], L"set") == 0 || wcscmp(argv[1], L"write") == 0)) {
    DWORD bytes;
    WCHAR *secret = read_secret(argv[4], &bytes);
    if (secret == NULL) return fprintf(stderr, "pycred: cannot read the secret file\n"), 1;
    if (wcscmp(argv[1], L"set") == 0 && CredReadW(argv[2], CRED_TYPE_GENERIC, 0, &c)) {
      WCHAR compound[1024];
      _snwprintf(compound, 1024, L"%ls@%ls", c->UserName, argv[2]);
      int moved = write_cred(compound, c->UserName, c->CredentialBlob, c->CredentialBlobSize);
      CredFree(c);
      if (moved != 0) return moved;
    }
    return write_cred(argv[2], argv[3], (BYTE *)secret, bytes);
  }
  if (argc == 5 && wcscmp(argv[1], L"write-raw") == 0) {
    FILE *f = _wfopen(argv[4], L"rb");
    if (f == NULL) return fprintf(stderr, "pycred: cannot read the blob file\n"), 1;
    static BYTE raw[2560];
    size_t n = fread(raw, 1, sizeof raw, f);
    fclose(f);
    return write_cred(argv[2], argv[3], raw, (DWORD)n);
  }
  if (argc == 3 && wcscmp(argv[1], L"read") == 0) {
    if (!CredReadW(argv[2], CRED_TYPE_GENERIC, 0, &c)) return fail("CredReadW");
    const WCHAR *user = c->UserName == NULL ? L"" : c->UserName;
    put_utf8(user, (int)wcslen(user));
    fputs("\n", stdout);
    put_utf8((WCHAR *)c->CredentialBlob, c->CredentialBlobSize / 2);
    CredFree(c);
    return 0;
  }
  if (argc == 3 && wcscmp(argv[1], L"list") == 0) {
    DWORD count;
    PCREDENTIALW *all;
    if (!CredEnumerateW(wcscmp(argv[2], L"*") == 0 ? NULL : argv[2], 0, &count, &all)) return fail("CredEnumerateW");
    for (DWORD i = 0; i < count; i++) {
      put_utf8(all[i]->TargetName, (int)wcslen(all[i]->TargetName));
      fputs("\n", stdout);
    }
    CredFree(all);
    return 0;
  }
  if (argc == 3 && wcscmp(argv[1], L"delete") == 0) return CredDeleteW(argv[2], CRED_TYPE_GENERIC, 0) ? 0 : fail("CredDeleteW");
  fprintf(stderr, "usage: pycred get|set|write|read|list|delete ... (see the source)\n");
  return 1;
}
