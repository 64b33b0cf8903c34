/* test_vmmwatch.c: the socket tables and the VMM's uid, from fixture
 * text (x86: the kernel prints each 32-bit word of an address in host,
 * little-endian, order). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"
#include "vmmwatch.h"

/* 127.0.0.1:53 listener (root), 0.0.0.0:8888 listener, an established
 * socket of uid 2000000 to 10.213.0.2:8888 (B), one to 10.0.0.9:443
 * (elsewhere), a SYN_SENT of 2000000 to 192.168.1.5:22, a TIME_WAIT
 * (uid 0), and a socket of another uid to elsewhere. */
static const char TCP[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
    "retrnsmt   uid  timeout inode\n"
    "   0: 0100007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 "
    "00000000     0        0 1001 1 0000000000000000 100 0 0 10 0\n"
    "   1: 00000000:22B8 00000000:0000 0A 00000000:00000000 00:00000000 "
    "00000000  2000000        0 1002 1 0000000000000000 100 0 0 10 0\n"
    "   2: 0100007F:A000 0200D50A:22B8 01 00000000:00000000 00:00000000 "
    "00000000  2000000        0 1003 1 0000000000000000 20 4 30 10 -1\n"
    "   3: 0100007F:A001 0900000A:01BB 01 00000000:00000000 00:00000000 "
    "00000000  2000000        0 1004 1 0000000000000000 20 4 30 10 -1\n"
    "   4: 0100007F:A002 0501A8C0:0016 02 00000001:00000000 01:00000064 "
    "00000000  2000000        0 1005 1 0000000000000000 20 4 30 10 -1\n"
    "   5: 0100007F:A003 0900000A:01BB 06 00000000:00000000 03:00000F3A "
    "00000000     0        0 0 3 0000000000000000\n"
    "   6: 0100007F:A004 0900000A:0050 01 00000000:00000000 00:00000000 "
    "00000000  1000        0 1006 1 0000000000000000 20 4 30 10 -1\n";

/* an unconnected UDP socket (0.0.0.0:0 peer) and a connected one of
 * 2000000 to 1.1.1.1:53 */
static const char UDP[] =
    "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
    "retrnsmt   uid  timeout inode ref pointer drops\n"
    "  100: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 "
    "00000000  2000000        0 2001 2 0000000000000000 0\n"
    "  101: 0100007F:B000 01010101:0035 01 00000000:00000000 00:00000000 "
    "00000000  2000000        0 2002 2 0000000000000000 0\n";

/* tcp6: a v4-mapped peer ::ffff:10.213.0.2 (B) and a real v6 peer
 * 2001:db8::1 port 443, both of 2000000; :: listener. */
static const char TCP6[] =
    "  sl  local_address                         remote_address          "
    "              st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode\n"
    "   0: 00000000000000000000000000000000:1F90 "
    "00000000000000000000000000000000:0000 0A 00000000:00000000 "
    "00:00000000 00000000     0        0 3001 1 0000000000000000 100 0 0 "
    "10 0\n"
    "   1: 0000000000000000FFFF00000100007F:A010 "
    "0000000000000000FFFF00000200D50A:22B8 01 00000000:00000000 "
    "00:00000000 00000000  2000000        0 3002 1 0000000000000000 20 4 "
    "30 10 -1\n"
    "   2: 00000000000000000000000001000000:A011 "
    "B80D0120000000000000000001000000:01BB 01 00000000:00000000 "
    "00:00000000 00000000  2000000        0 3003 1 0000000000000000 20 4 "
    "30 10 -1\n";

static void test_parse_tcp(void **state)
{
	struct vmmwatch_table t = {NULL, 0, 0};

	(void)state;
	/* listeners (2) and the 0.0.0.0 peers are dropped: 5 remain */
	assert_int_equal(
	    vmmwatch_parse(TCP, sizeof TCP - 1, 0, VMMWATCH_TCP, &t), 5);
	assert_string_equal(t.v[0].peer, "10.213.0.2");
	assert_int_equal(t.v[0].peer_port, 8888);
	assert_int_equal(t.v[0].uid, 2000000);
	assert_int_equal(t.v[0].state, 1);
	assert_string_equal(t.v[1].peer, "10.0.0.9");
	assert_int_equal(t.v[1].peer_port, 443);
	assert_string_equal(t.v[2].peer, "192.168.1.5");
	assert_int_equal(t.v[2].state, 2);
	assert_int_equal(t.v[3].uid, 0); /* TIME_WAIT */
	assert_int_equal(t.v[4].uid, 1000);
	vmmwatch_table_release(&t);
}

static void test_stray_names_every_other_peer(void **state)
{
	struct vmmwatch_table t = {NULL, 0, 0};
	char *s;

	(void)state;
	vmmwatch_parse(TCP, sizeof TCP - 1, 0, VMMWATCH_TCP, &t);
	vmmwatch_parse(UDP, sizeof UDP - 1, 0, VMMWATCH_UDP, &t);
	vmmwatch_parse(TCP6, sizeof TCP6 - 1, 1, VMMWATCH_TCP, &t);
	s = vmmwatch_stray(&t, 2000000, "10.213.0.2", NULL);
	assert_non_null(s);
	assert_string_equal(s, "VMM socket to 10.0.0.9:443 (tcp); "
			       "VMM socket to 192.168.1.5:22 (tcp); "
			       "VMM socket to 1.1.1.1:53 (udp); "
			       "VMM socket to [2001:db8::1]:443 (tcp)");
	free(s);
	/* the v4-mapped peer is B: counted as B */
	assert_int_equal(vmmwatch_count(&t, 2000000, "10.213.0.2"), 2);
	/* a second allowed address (TSI's resolver) */
	s = vmmwatch_stray(&t, 2000000, "10.213.0.2", "1.1.1.1");
	assert_null(strstr(s, "1.1.1.1"));
	free(s);
	/* another uid's sockets are not this VMM's */
	s = vmmwatch_stray(&t, 2000001, "10.213.0.2", NULL);
	assert_null(s);
	/* uid 1000's socket to 10.0.0.9:80 */
	s = vmmwatch_stray(&t, 1000, "10.213.0.2", NULL);
	assert_string_equal(s, "VMM socket to 10.0.0.9:80 (tcp)");
	free(s);
	vmmwatch_table_release(&t);
}

static void test_stray_only_b_is_clean(void **state)
{
	struct vmmwatch_table t = {NULL, 0, 0};
	static const char only_b[] =
	    "  sl  local_address rem_address   st\n"
	    "   2: 0100007F:A000 0200D50A:22B8 01 00000000:00000000 "
	    "00:00000000 00000000  2000000        0 1003 1\n";

	(void)state;
	assert_int_equal(
	    vmmwatch_parse(only_b, sizeof only_b - 1, 0, VMMWATCH_TCP, &t), 1);
	assert_null(vmmwatch_stray(&t, 2000000, "10.213.0.2", NULL));
	/* without B known, B itself is stray */
	{
		char *s = vmmwatch_stray(&t, 2000000, NULL, NULL);
		assert_non_null(s);
		free(s);
	}
	vmmwatch_table_release(&t);
}

static void test_stray_bounded(void **state)
{
	struct vmmwatch_table t = {NULL, 0, 0};
	struct buf b = BUF_INIT;
	char *s;
	int i;

	(void)state;
	for (i = 0; i < 7; i++)
		buf_addf(&b,
			 "   %d: 0100007F:A00%d 0%d00000A:01BB 01 "
			 "00000000:00000000 00:00000000 00000000  2000000 0 "
			 "1 1\n",
			 i, i, i + 1);
	assert_int_equal(vmmwatch_parse(b.data, b.len, 0, VMMWATCH_TCP, &t), 7);
	s = vmmwatch_stray(&t, 2000000, "10.213.0.2", NULL);
	assert_non_null(strstr(s, "10.0.0.4:443"));
	assert_null(strstr(s, "10.0.0.5:443"));
	assert_non_null(strstr(s, " and 3 more"));
	free(s);
	buf_release(&b);
	vmmwatch_table_release(&t);
}

static void test_parse_malformed(void **state)
{
	struct vmmwatch_table t = {NULL, 0, 0};
	static const char bad[] =
	    "garbage\n"
	    "   0: 0100007F 0200D50A:22B8 01 0:0 0:0 0 2000000\n"
	    "   1: 0100007F:A000 0200D50A:22B8 01 0:0 0:0 0 notanumber\n"
	    "   2: 0100007G:A000 0200D50A:22B8 01 0:0 0:0 0 5\n"
	    "   3: 0100007F:A000 0200D50A:FFFFF 01 0:0 0:0 0 5\n"
	    "   4: 0100007F:A000 0200D50A:22B8 01 0:0 0:0\n"
	    "   5: 0100007F:A000 0200D50A:22B8 01 0:0 0:0 0 7"; /* no \n */

	(void)state;
	assert_int_equal(
	    vmmwatch_parse(bad, sizeof bad - 1, 0, VMMWATCH_TCP, &t), 1);
	assert_int_equal(t.v[0].uid, 7);
	vmmwatch_table_release(&t);
	assert_int_equal(vmmwatch_parse("", 0, 1, VMMWATCH_UDP, &t), 0);
}

static void test_status_uid(void **state)
{
	static const char drop[] = "Name:\tsmolvm\nUmask:\t0022\n"
				   "Uid:\t2000003\t2000003\t2000003\t2000003\n"
				   "Gid:\t2000003\t2000003\t2000003\t2000003\n";
	static const char mixed[] = "Uid:\t0\t0\t0\t2000000\n";
	static const char none[] = "Name:\tx\n";
	unsigned uid = 0;
	int uniform = 0;

	(void)state;
	assert_int_equal(
	    vmmwatch_parse_status_uid(drop, sizeof drop - 1, &uid, &uniform),
	    0);
	assert_int_equal(uid, 2000003);
	assert_true(uniform);
	assert_int_equal(
	    vmmwatch_parse_status_uid(mixed, sizeof mixed - 1, &uid, &uniform),
	    0);
	assert_int_equal(uid, 0);
	assert_false(uniform);
	assert_int_equal(
	    vmmwatch_parse_status_uid(none, sizeof none - 1, &uid, &uniform),
	    -1);
}

static void test_sim_uid(void **state)
{
	static const char virtio[] =
	    "{\"uid\": 61004, \"policy\": {\"mode\": \"virtio\"}}";
	static const char tsi[] =
	    "{\"uid\": 61004, \"policy\": {\"mode\": \"allowlist\"}}";
	static const char iso[] =
	    "{\"uid\": 61004, \"policy\": {\"mode\": \"isolated\"}}";
	static const char foreign[] =
	    "{\"uid\": 1000, \"policy\": {\"mode\": \"virtio\"}}";
	unsigned uid = 0;
	enum vmmwatch_kind kind = VMMWATCH_NONE;
	char *cause = NULL;

	(void)state;
	assert_int_equal(
	    vmmwatch_sim_uid(virtio, sizeof virtio - 1, &uid, &kind, &cause),
	    0);
	assert_int_equal(uid, 2000004);
	assert_int_equal(kind, VMMWATCH_VMM);
	assert_int_equal(
	    vmmwatch_sim_uid(tsi, sizeof tsi - 1, &uid, &kind, &cause), 0);
	assert_int_equal(uid, 61004);
	assert_int_equal(kind, VMMWATCH_GUEST);
	assert_int_equal(
	    vmmwatch_sim_uid(iso, sizeof iso - 1, &uid, &kind, &cause), -1);
	assert_non_null(strstr(cause, "no network"));
	free(cause);
	cause = NULL;
	assert_int_equal(
	    vmmwatch_sim_uid(foreign, sizeof foreign - 1, &uid, &kind, &cause),
	    -1);
	free(cause);
}

static void test_vmm_uid_of_this_process(void **state)
{
	unsigned uid = 1;
	enum vmmwatch_kind kind = VMMWATCH_VMM;
	char *cause = NULL;

	(void)state;
	/* the test itself: not a per-VM uid, whoever runs it */
	assert_int_equal(
	    vmmwatch_vmm_uid((int)getpid(), 0, &uid, &kind, &cause), -1);
	assert_int_equal(kind, VMMWATCH_NONE);
	assert_int_equal(uid, 0);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	assert_int_equal(vmmwatch_vmm_uid(0, 1, &uid, &kind, &cause), -1);
	assert_non_null(strstr(cause, "no VMM pid"));
	free(cause);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_tcp),
	    cmocka_unit_test(test_stray_names_every_other_peer),
	    cmocka_unit_test(test_stray_only_b_is_clean),
	    cmocka_unit_test(test_stray_bounded),
	    cmocka_unit_test(test_parse_malformed),
	    cmocka_unit_test(test_status_uid),
	    cmocka_unit_test(test_sim_uid),
	    cmocka_unit_test(test_vmm_uid_of_this_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
