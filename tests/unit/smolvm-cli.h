/* tests/unit/smolvm-cli.h: a struct smolvm_cli for any release without
 * running a binary, for the unit tests whose argv depends on the smolvm
 * version (test_smolvm, test_tail); included after smolvm.h. */
#ifndef BOTTLE_TEST_SMOLVM_CLI_H
#define BOTTLE_TEST_SMOLVM_CLI_H

#include <string.h>

/* A cli for "smolvm major.minor.patch" at bin (any release, allowed or
 * not). */
static struct smolvm_cli cli_at(const char *bin, int major, int minor,
				int patch)
{
	struct smolvm_cli c;

	memset(&c, 0, sizeof c);
	c.bin = bin;
	c.v.major = major;
	c.v.minor = minor;
	c.v.patch = patch;
	c.band = smolvm_band_of(&c.v);
	return c;
}

#endif
