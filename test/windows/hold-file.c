/*
 * hold-file: holds a file open the way an editor, a backup or an antivirus does, for the Windows
 * lane (Wine): `hold-file.exe FILE MS SHARE READY [RELEASE]` opens FILE (it must exist), creates
 * READY once it holds it (the lane waits for that before running cdcreds), keeps it open MS
 * milliseconds or until the file RELEASE exists (the lane makes it once cdcreds has given up),
 * then closes it and exits 0.
 *   SHARE "none": share mode 0, as a program that locks the file: no one may read, write, rename
 *                 or delete it meanwhile;
 *   SHARE "read": FILE_SHARE_READ | FILE_SHARE_WRITE, without FILE_SHARE_DELETE, as a scanner
 *                 does: others may read it, but renaming a file over it fails (ERROR_ACCESS_DENIED).
 * Exits 2 on a usage error, 1 when FILE or READY cannot be opened.
 * Built in the lane, never committed as a binary:
 *   x86_64-w64-mingw32-gcc -O2 -municode -o hold-file.exe test/windows/hold-file.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>
#include <windows.h>

int wmain(int argc, wchar_t **argv) {
  if (argc != 5 && argc != 6) {
    fwprintf(stderr, L"usage: hold-file FILE MS none|read READY [RELEASE]\n");
    return 2;
  }
  DWORD share;
  if (wcscmp(argv[3], L"none") == 0)
    share = 0;
  else if (wcscmp(argv[3], L"read") == 0)
    share = FILE_SHARE_READ | FILE_SHARE_WRITE;
  else {
    fwprintf(stderr, L"hold-file: SHARE is none or read\n");
    return 2;
  }
  DWORD ms = (DWORD)wcstoul(argv[2], NULL, 10);
  HANDLE file = CreateFileW(argv[1], GENERIC_READ, share, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  if (file == INVALID_HANDLE_VALUE) {
    fwprintf(stderr, L"hold-file: cannot open %ls (error %lu)\n", argv[1], GetLastError());
    return 1;
  }
  HANDLE ready = CreateFileW(argv[4], GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
  if (ready == INVALID_HANDLE_VALUE) {
    fwprintf(stderr, L"hold-file: cannot create %ls (error %lu)\n", argv[4], GetLastError());
    return 1;
  }
  CloseHandle(ready);
  for (DWORD waited = 0; waited < ms; waited += 50) {
    if (argc == 6 && GetFileAttributesW(argv[5]) != INVALID_FILE_ATTRIBUTES) break;
    Sleep(50);
  }
  CloseHandle(file);
  return 0;
}
