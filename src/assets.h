/* assets.h: text files from assets/text/, compiled in (embed.py). */
#ifndef BOTTLE_ASSETS_H
#define BOTTLE_ASSETS_H

extern const char assets_usage[]; /* assets/text/usage.txt: bottle --help */
extern const char assets_keys[];  /* assets/text/keys.txt: dashboard ? */

#endif
