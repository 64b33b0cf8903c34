/* sha256.h: SHA-256 (FIPS 180-4), for the probe helper's digest. */
#ifndef BOTTLE_SHA256_H
#define BOTTLE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_HEX_LEN 64

struct sha256 {
	uint32_t h[8];
	uint64_t bytes; /* message length so far */
	unsigned char block[64];
	size_t used; /* bytes waiting in block */
};

/* sha256_init: start a new digest. */
void sha256_init(struct sha256 *s);
/* sha256_update: add data[0..len). */
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* sha256_final: the digest into out; s must be initialised again before
 * reuse. */
void sha256_final(struct sha256 *s, unsigned char out[SHA256_LEN]);
/* sha256_hex: the lower-case hex of a digest into hex (65 bytes, NUL
 * terminated). */
void sha256_hex(const unsigned char d[SHA256_LEN],
		char hex[SHA256_HEX_LEN + 1]);
/* sha256_buf: the hex digest of data[0..len) into hex. */
void sha256_buf(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1]);

#endif
