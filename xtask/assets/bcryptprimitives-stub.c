/*
 * Test-only stand-in for bcryptprimitives.dll, which Wine 8 (Debian 12) lacks but Rust >= 1.78
 * executables import for ProcessPrng. It forwards to RtlGenRandom (advapi32!SystemFunction036).
 * `cargo xtask kit-test` builds it with mingw and installs it into the temporary Wine prefix's
 * system32 folder. It is never part of a Field Kit: real Windows 10 / Server 2016 and newer
 * have the real DLL.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x7fffffff ? 0x7fffffff : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
