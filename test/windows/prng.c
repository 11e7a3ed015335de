// A stand-in for Windows' bcryptprimitives.dll, for the Windows lane only (scripts/windows-lane.sh):
// the keychain binding (Rust std >= 1.78) imports ProcessPrng from it, which Wine 8 lacks. It
// fills the buffer from RtlGenRandom (advapi32's SystemFunction036), as real Windows fills it from
// its own generator. Built by the lane from this source; never shipped.
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length > 0) {
    ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
    if (!SystemFunction036(data, chunk)) return FALSE;
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}
