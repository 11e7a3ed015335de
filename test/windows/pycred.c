// What Python's keyring (keyring.backends.Windows.WinVaultKeyring) does with the Windows Credential
// Manager, call for call, for the Windows lane (scripts/windows-lane.sh): cdcreds must read what
// Python writes and write what Python reads. Built by the lane from this source; never shipped.
//
//   pycred get SERVICE USER OUTFILE     get_password: the secret, UTF-8, into OUTFILE; exit 1 when none
//   pycred set SERVICE USER INFILE      set_password: the secret, UTF-8, from INFILE
//   pycred delete SERVICE USER          delete_password; exit 1 when none
//
// Secrets go through files: never on a command line.
#include <windows.h>
#include <wincred.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/** CredReadW of a generic credential; NULL when there is none. */
static PCREDENTIALW read_credential(const wchar_t *target) {
  PCREDENTIALW cred = NULL;
  if (CredReadW(target, CRED_TYPE_GENERIC, 0, &cred)) return cred;
  if (GetLastError() != ERROR_NOT_FOUND) {
    fwprintf(stderr, L"CredReadW(%ls) failed: %lu\n", target, GetLastError());
    exit(2);
  }
  return NULL;
}

static wchar_t *compound_name(const wchar_t *user, const wchar_t *service) {
  size_t size = wcslen(user) + wcslen(service) + 2;
  wchar_t *name = malloc(size * sizeof(wchar_t));
  swprintf(name, size, L"%ls@%ls", user, service);
  return name;
}

/** Python's _set_password: UserName, the secret as UTF-16LE, its comment, Persist ENTERPRISE. */
static void write_credential(const wchar_t *target, const wchar_t *user, const BYTE *blob, DWORD size) {
  CREDENTIALW cred = {0};
  cred.Type = CRED_TYPE_GENERIC;
  cred.TargetName = (LPWSTR)target;
  cred.UserName = (LPWSTR)user;
  cred.CredentialBlob = (LPBYTE)blob;
  cred.CredentialBlobSize = size;
  cred.Comment = L"Stored using python-keyring";
  cred.Persist = CRED_PERSIST_ENTERPRISE;
  if (!CredWriteW(&cred, 0)) {
    fwprintf(stderr, L"CredWriteW(%ls) failed: %lu\n", target, GetLastError());
    exit(2);
  }
}

/** Python's _resolve_credential: the service's own entry when its UserName is USER, else USER@SERVICE. */
static PCREDENTIALW resolve(const wchar_t *service, const wchar_t *user) {
  PCREDENTIALW cred = read_credential(service);
  if (cred == NULL || wcscmp(cred->UserName, user) != 0) cred = read_credential(compound_name(user, service));
  return cred;
}

static char *read_file(const wchar_t *path, long *length) {
  FILE *f = _wfopen(path, L"rb");
  if (f == NULL) exit(2);
  fseek(f, 0, SEEK_END);
  *length = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *data = malloc(*length + 1);
  if (fread(data, 1, *length, f) != (size_t)*length) exit(2);
  fclose(f);
  return data;
}

int wmain(int argc, wchar_t **argv) {
  if (argc < 4) return 2;
  const wchar_t *command = argv[1], *service = argv[2], *user = argv[3];
  if (wcscmp(command, L"get") == 0 && argc == 5) {
    PCREDENTIALW cred = resolve(service, user);
    if (cred == NULL) return 1;
    int units = cred->CredentialBlobSize / 2;
    int size = WideCharToMultiByte(CP_UTF8, 0, (LPCWSTR)cred->CredentialBlob, units, NULL, 0, NULL, NULL);
    char *utf8 = malloc(size + 1);
    WideCharToMultiByte(CP_UTF8, 0, (LPCWSTR)cred->CredentialBlob, units, utf8, size, NULL, NULL);
    FILE *out = _wfopen(argv[4], L"wb");
    fwrite(utf8, 1, size, out);
    fclose(out);
    return 0;
  }
  if (wcscmp(command, L"set") == 0 && argc == 5) {
    long length;
    char *utf8 = read_file(argv[4], &length);
    int units = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, length, NULL, 0);
    wchar_t *secret = malloc((units + 1) * sizeof(wchar_t));
    MultiByteToWideChar(CP_UTF8, 0, utf8, length, secret, units);
    // A password already under the service's own name moves to its compound name first.
    PCREDENTIALW existing = read_credential(service);
    if (existing != NULL)
      write_credential(compound_name(existing->UserName, service), existing->UserName, existing->CredentialBlob, existing->CredentialBlobSize);
    write_credential(service, user, (const BYTE *)secret, units * 2);
    return 0;
  }
  if (wcscmp(command, L"delete") == 0 && argc == 4) {
    const wchar_t *targets[] = {service, compound_name(user, service)};
    int deleted = 0;
    for (int i = 0; i < 2; i++) {
      PCREDENTIALW cred = read_credential(targets[i]);
      if (cred != NULL && wcscmp(cred->UserName, user) == 0) {
        deleted = 1;
        CredDeleteW(targets[i], CRED_TYPE_GENERIC, 0);
      }
    }
    return deleted ? 0 : 1;
  }
  return 2;
}
