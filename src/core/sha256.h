/* sha256: FIPS 180-4 SHA-256 (pure). Used to derive policy ids. */
#ifndef STSD_SHA256_H
#define STSD_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32

void sha256(const void *data, size_t len, uint8_t digest[SHA256_DIGEST_LEN]);

#endif
