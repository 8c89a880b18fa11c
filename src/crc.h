/*
** crc.h -- CRC-32 (zlib's: the frames' checksum, docs/trace-format.md) at
** memory speed for the readers: carry-less multiplication (PCLMULQDQ) where
** the CPU has it, zlib's crc32 elsewhere. The same value as zlib's crc32.
*/
#ifndef CTGEN_CRC_H
#define CTGEN_CRC_H

#include <stddef.h>
#include <stdint.h>

/* ctq_crc32: zlib's crc32(crc, p, n) (crc: the CRC-32 of the bytes before, 0 at the start). */
uint32_t ctq_crc32(uint32_t crc, const uint8_t *p, size_t n);

#endif
