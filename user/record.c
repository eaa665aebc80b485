// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Stop records: names, derived facts and the one JSON/text printer. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "record.h"

static const char *const ipi_kind_names[SW_IPI_KINDS] = {
	[SW_IPI_RESCHED] = "resched", [SW_IPI_CALL_FUNC] = "call_function",
	[SW_IPI_CALL_FUNC_SINGLE] = "call_function_single", [SW_IPI_CPU_STOP] = "cpu_stop",
	[SW_IPI_CPU_STOP_NMI] = "cpu_stop_nmi", [SW_IPI_TIMER] = "timer",
	[SW_IPI_IRQ_WORK] = "irq_work", [SW_IPI_BACKTRACE] = "backtrace",
	[SW_IPI_KGDB] = "kgdb", [SW_IPI_WAKEUP] = "wakeup", [SW_IPI_OTHER] = "other",
};

static const char *const sdei_kind_names[SW_SDEI_KINDS] = {
	[SW_SDEI_BACKTRACE] = "backtrace", [SW_SDEI_STOP] = "stop", [SW_SDEI_OTHER] = "other",
};

const char *sw_ipi_kind_name(unsigned int kind)
{
	return kind < SW_IPI_KINDS ? ipi_kind_names[kind] : "invalid";
}

const char *sw_sdei_kind_name(unsigned int kind)
{
	return kind < SW_SDEI_KINDS ? sdei_kind_names[kind] : "invalid";
}

void sw_mask_set(__u64 *mask, unsigned int cpu)
{
	if (cpu < SW_MAX_CPUS)
		mask[cpu / 64] |= 1ULL << (cpu % 64);
}

bool sw_mask_test(const __u64 *mask, unsigned int cpu)
{
	return cpu < SW_MAX_CPUS && (mask[cpu / 64] >> (cpu % 64)) & 1;
}

static bool mask_empty(const __u64 *mask)
{
	for (int w = 0; w < SW_MASK_WORDS; w++)
		if (mask[w])
			return false;
	return true;
}

int sw_mask_format(const __u64 *mask, unsigned int nbits, char *buf, size_t len)
{
	size_t off = 0;
	unsigned int cpu = 0;

	if (nbits > SW_MAX_CPUS)
		nbits = SW_MAX_CPUS;
	if (len)
		buf[0] = '\0';
	while (cpu < nbits) {
		unsigned int end;
		int n;

		if (!sw_mask_test(mask, cpu)) {
			cpu++;
			continue;
		}
		for (end = cpu; end + 1 < nbits && sw_mask_test(mask, end + 1); end++)
			;
		if (end == cpu)
			n = snprintf(buf + off, len > off ? len - off : 0, "%s%u", off ? "," : "", cpu);
		else
			n = snprintf(buf + off, len > off ? len - off : 0, "%s%u-%u", off ? "," : "", cpu, end);
		if (n < 0 || (size_t)n >= (len > off ? len - off : 0))
			return -ENOSPC;
		off += n;
		cpu = end + 1;
	}
	return 0;
}

int sw_mask_parse(const char *list, __u64 *mask, unsigned int nbits)
{
	const char *p = list;

	memset(mask, 0, SW_MASK_WORDS * sizeof(__u64));
	if (nbits > SW_MAX_CPUS)
		nbits = SW_MAX_CPUS;
	while (*p && *p != '\n') {
		char *end;
		unsigned long a, b;

		if (*p < '0' || *p > '9')
			return -EINVAL;
		a = strtoul(p, &end, 10);
		b = a;
		if (*end == '-') {
			p = end + 1;
			if (*p < '0' || *p > '9')
				return -EINVAL;
			b = strtoul(p, &end, 10);
		}
		if (b < a || b >= nbits)
			return -EINVAL;
		for (unsigned long c = a; c <= b; c++)
			sw_mask_set(mask, c);
		p = end;
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return -EINVAL;
	}
	return 0;
}

static unsigned int rec_cpus(const struct sw_stop_record *r)
{
	return r->nr_cpus && r->nr_cpus <= SW_MAX_CPUS ? r->nr_cpus : SW_MAX_CPUS;
}

void sw_record_expected(const struct sw_stop_record *r, __u64 out[SW_MASK_WORDS])
{
	memcpy(out, r->online, SW_MASK_WORDS * sizeof(__u64));
	/* a target the kernel sent a rung to counts even if our online copy missed it */
	for (int i = 0; i < SW_FIRE_RUNGS; i++)
		for (int w = 0; w < SW_MASK_WORDS; w++)
			out[w] |= r->target[i][w];
	if (r->initiator < SW_MAX_CPUS)
		out[r->initiator / 64] &= ~(1ULL << (r->initiator % 64));
	/* CPUs past the record's: whole words at a time (this runs for every record counted) */
	for (unsigned int w = 0, n = rec_cpus(r); w < SW_MASK_WORDS; w++)
		out[w] &= n >= (w + 1) * 64 ? ~0ULL : n <= w * 64 ? 0 : (1ULL << (n % 64)) - 1;
}

void sw_record_never_stopped(const struct sw_stop_record *r, __u64 out[SW_MASK_WORDS])
{
	sw_record_expected(r, out);
	for (unsigned int c = 0; c < rec_cpus(r); c++)
		if (r->cpu[c].rung != SW_RUNG_NONE)
			out[c / 64] &= ~(1ULL << (c % 64));
}

unsigned int sw_record_top_rung(const struct sw_stop_record *r)
{
	for (int i = SW_FIRE_RUNGS - 1; i >= 0; i--)
		if (r->t_fire[i])
			return i + 1;
	return SW_RUNG_NONE;
}

enum sw_outcome sw_record_outcome(const struct sw_stop_record *r)
{
	__u64 never[SW_MASK_WORDS], expected[SW_MASK_WORDS];
	bool any_handler = false, later_rung = false;

	if (r->kind == SW_KIND_SELF)
		return SW_OUT_CLEAN;
	sw_record_expected(r, expected);
	sw_record_never_stopped(r, never);
	for (unsigned int c = 0; c < rec_cpus(r); c++) {
		if (r->cpu[c].rung != SW_RUNG_NONE && c != r->initiator)
			any_handler = true;
		if (r->cpu[c].rung > SW_RUNG_IPI && r->cpu[c].rung != SW_RUNG_SELF)
			later_rung = true;
	}
	if (mask_empty(expected) || (!any_handler && sw_record_top_rung(r) == SW_RUNG_NONE &&
				     r->state == SW_REC_DONE))
		return SW_OUT_NOOP;
	if (!mask_empty(never))
		/* a reboot never returns from the stop: no verdict while CPUs may still ack */
		return r->state == SW_REC_DONE || sw_record_top_rung(r) > SW_RUNG_IPI ||
		       r->t_end ? SW_OUT_FAILED : SW_OUT_INCOMPLETE;
	if (later_rung || sw_record_top_rung(r) > SW_RUNG_IPI)
		return SW_OUT_ESCALATED;
	return SW_OUT_CLEAN;
}

/* µs between two ns timestamps; negative when b precedes a. */
static double us_between(__u64 a, __u64 b)
{
	return ((double)(__s64)(b - a)) / 1000.0;
}

/*
 * The same µs as "%.3f" of us_between(), from integers: ns are whole, so
 * three decimals are exact, and JSON output pays no float formatting
 * (printf's was a quarter of logscan's time on logs dense with stops).
 */
struct us3 {
	char s[32];
};

static struct us3 us3_between(__u64 a, __u64 b)
{
	__s64 d = (__s64)(b - a);
	__u64 m = d < 0 ? -(__u64)d : (__u64)d;
	struct us3 u;

	snprintf(u.s, sizeof(u.s), "%s%llu.%03llu", d < 0 ? "-" : "", (unsigned long long)(m / 1000),
		 (unsigned long long)(m % 1000));
	return u;
}

static void wall_time(const struct sw_record_meta *m, __u64 t, char *buf, size_t len)
{
	struct tm tm;
	time_t s;
	__s64 real;

	buf[0] = '\0';
	/* times and offset come from a store that may be torn: no wall clock if they overflow */
	if (!m->mono_to_real_ns || !t || t > INT64_MAX ||
	    __builtin_add_overflow((__s64)t, m->mono_to_real_ns, &real))
		return;
	s = real / 1000000000LL;
	if (!gmtime_r(&s, &tm))
		return;
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long long)(real % 1000000000LL) / 1000);
}

/* Which fired rung reached @c: its fire time is the start of the CPU's ack latency. */
static __u64 fire_time_for(const struct sw_stop_record *r, unsigned int rung)
{
	if (rung >= SW_RUNG_IPI && rung <= SW_RUNG_SDEI && r->t_fire[rung - 1])
		return r->t_fire[rung - 1];
	return r->t_start;
}

static const char *irqs_name(__u32 irqs)
{
	return irqs == SW_IRQS_MASKED ? "masked" : irqs == SW_IRQS_ENABLED ? "enabled" : "unknown";
}

void sw_record_print_json(FILE *f, const struct sw_record_meta *m, const struct sw_stop_record *r)
{
	char buf[4 * SW_MAX_CPUS], wall[64];
	__u64 never[SW_MASK_WORDS];
	bool first = true;

	wall_time(m, r->t_start, wall, sizeof(wall));
	fprintf(f, "{\"schema\":\"stopwatch.stop/1\",\"source\":\"%s\",\"boot_id\":\"%s\"",
		sw_source_name(m->source), m->boot_id);
	if (m->host[0])
		fprintf(f, ",\"host\":\"%s\"", m->host);
	fprintf(f, ",\"seq\":%llu,\"kind\":\"%s\",\"outcome\":\"%s\",\"initiator\":%u,"
		   "\"exact\":%s,\"start_ns\":%llu",
		(unsigned long long)r->seq, sw_kind_name(r->kind),
		sw_outcome_name(sw_record_outcome(r)), r->initiator, m->exact ? "true" : "false",
		(unsigned long long)r->t_start);
	if (wall[0])
		fprintf(f, ",\"start\":\"%s\"", wall);
	if (r->t_end)
		fprintf(f, ",\"duration_us\":%s", us3_between(r->t_start, r->t_end).s);
	else
		fprintf(f, ",\"duration_us\":null");
	sw_mask_format(r->online, rec_cpus(r), buf, sizeof(buf));
	fprintf(f, ",\"online\":\"%s\",\"rungs\":[", buf);
	for (int i = 0; i < SW_FIRE_RUNGS; i++) {
		if (!r->t_fire[i])
			continue;
		sw_mask_format(r->target[i], rec_cpus(r), buf, sizeof(buf));
		fprintf(f, "%s{\"rung\":\"%s\",\"fired_us\":%s,\"targets\":\"%s\"}",
			first ? "" : ",", sw_rung_name(i + 1), us3_between(r->t_start, r->t_fire[i]).s,
			buf);
		first = false;
	}
	fprintf(f, "],\"cpus\":[");
	first = true;
	for (unsigned int c = 0; c < rec_cpus(r); c++) {
		const struct sw_cpu_stop *cs = &r->cpu[c];

		if (cs->rung == SW_RUNG_NONE)
			continue;
		fprintf(f, "%s{\"cpu\":%u,\"rung\":\"%s\",\"at_us\":%s,\"ack_us\":%s,\"irqs\":\"%s\"}",
			first ? "" : ",", c, sw_rung_name(cs->rung),
			us3_between(r->t_start, cs->t_handler).s,
			us3_between(fire_time_for(r, cs->rung), cs->t_handler).s, irqs_name(cs->irqs));
		first = false;
	}
	sw_record_never_stopped(r, never);
	sw_mask_format(never, rec_cpus(r), buf, sizeof(buf));
	fprintf(f, "],\"never_stopped\":\"%s\"}\n", buf);
}

void sw_record_print_text(FILE *f, const struct sw_record_meta *m, const struct sw_stop_record *r)
{
	char buf[4 * SW_MAX_CPUS], wall[64];
	__u64 never[SW_MASK_WORDS];

	wall_time(m, r->t_start, wall, sizeof(wall));
	fprintf(f, "stop #%llu  kind %s  outcome %s  initiator CPU %u  source %s%s\n",
		(unsigned long long)r->seq, sw_kind_name(r->kind),
		sw_outcome_name(sw_record_outcome(r)), r->initiator, sw_source_name(m->source),
		m->exact ? "" : " (printk resolution)");
	if (m->boot_id[0] || wall[0])
		fprintf(f, "  boot %s%s%s\n", m->boot_id[0] ? m->boot_id : "?",
			wall[0] ? "  started " : "", wall);
	if (r->t_end)
		fprintf(f, "  duration %.1f us\n", us_between(r->t_start, r->t_end));
	else
		fprintf(f, "  duration: the stop function never returned (normal on reboot)\n");
	for (int i = 0; i < SW_FIRE_RUNGS; i++) {
		if (!r->t_fire[i])
			continue;
		sw_mask_format(r->target[i], rec_cpus(r), buf, sizeof(buf));
		fprintf(f, "  rung %-4s fired at +%.1f us to CPUs %s\n", sw_rung_name(i + 1),
			us_between(r->t_start, r->t_fire[i]), buf);
	}
	fprintf(f, "  %-4s %-5s %14s %14s %s\n", "CPU", "RUNG", "AT(us)", "ACK(us)", "IRQS");
	for (unsigned int c = 0; c < rec_cpus(r); c++) {
		const struct sw_cpu_stop *cs = &r->cpu[c];

		if (cs->rung == SW_RUNG_NONE)
			continue;
		fprintf(f, "  %-4u %-5s %14.1f %14.1f %s\n", c, sw_rung_name(cs->rung),
			us_between(r->t_start, cs->t_handler),
			us_between(fire_time_for(r, cs->rung), cs->t_handler), irqs_name(cs->irqs));
	}
	sw_record_never_stopped(r, never);
	sw_mask_format(never, rec_cpus(r), buf, sizeof(buf));
	fprintf(f, "  never stopped: %s\n", buf[0] ? buf : "none");
}

void sw_boot_id_text(const __u8 id[16], char *text, int len)
{
	snprintf(text, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 id[0], id[1], id[2], id[3], id[4], id[5], id[6], id[7], id[8], id[9], id[10],
		 id[11], id[12], id[13], id[14], id[15]);
}

void sw_store_meta(const struct sw_store *st, struct sw_record_meta *m)
{
	sw_boot_id_text(st->hdr.boot_id, m->boot_id, sizeof(m->boot_id));
	/* unknown (0) when torn clocks would overflow it */
	if (__builtin_sub_overflow((__s64)st->hdr.armed_real_ns, (__s64)st->hdr.armed_mono_ns,
				   &m->mono_to_real_ns))
		m->mono_to_real_ns = 0;
}

int sw_store_print(FILE *f, const struct sw_record_meta *m, const struct sw_store *st, bool json)
{
	__u64 last = st->hdr.next_seq;
	__u64 left = last < SW_STOP_SLOTS ? last : SW_STOP_SLOTS;
	int n = 0;

	/*
	 * The slots are a ring: the newest SW_STOP_SLOTS sequence numbers. Count
	 * them rather than compare seq with last, which never ends when a torn
	 * store says next_seq is UINT64_MAX (seq wraps).
	 */
	for (__u64 seq = last - left + 1; left; left--, seq++) {
		const struct sw_stop_record *r = &st->rec[(seq - 1) % SW_STOP_SLOTS];

		if (r->seq != seq)
			continue; /* overwritten, or being reset when read */
		n++;
		if (json)
			sw_record_print_json(f, m, r);
		else
			sw_record_print_text(f, m, r);
	}
	return n;
}
