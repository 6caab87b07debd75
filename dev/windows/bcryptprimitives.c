/*
 * ProcessPrng for Wine prefixes that lack bcryptprimitives.dll (Wine 8.0,
 * as Debian 12 ships it). Rust's standard library takes its random bytes
 * from this function, so without it every Rust program stops at load.
 * It fills the buffer from BCryptGenRandom, the system's preferred
 * generator. Used only to run the core's tests under Wine
 * (dev/test-windows.sh); never part of the package.
 */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len > 0) {
    ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG) len;
    if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
      return FALSE;
    }
    data += chunk;
    len -= chunk;
  }
  return TRUE;
}
