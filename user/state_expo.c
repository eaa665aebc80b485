// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The cumulative statistics as metric families. "cumulative" in every name:
 * these span boots, and live mode's families keep their own names, so both
 * textfiles can sit in one node_exporter directory. docs/metrics.md lists
 * them with their labels and buckets, and why some series are left out.
 */
#include "expo.h"
#include "state.h"

enum { F_RECORDS, F_STOPS, F_FAILED, F_CPUS_STOPPED, F_NEVER, F_SDEI, F_ESCALATION, F_ACK, F_N };

static const struct sw_metric_desc fam[F_N] = {
	[F_RECORDS] = { "stopwatch_cumulative_records", SW_METRIC_COUNTER, NULL,
			"stop records ingested, per source" },
	[F_STOPS] = { "stopwatch_cumulative_stops", SW_METRIC_COUNTER, NULL,
		      "CPU stops, per kind and outcome (pairs never seen are left out)" },
	[F_FAILED] = { "stopwatch_cumulative_failed_stops", SW_METRIC_COUNTER, NULL,
		       "stops that left some CPU running" },
	[F_CPUS_STOPPED] = { "stopwatch_cumulative_cpus_stopped", SW_METRIC_COUNTER, NULL,
			     "CPUs stopped, per rung that stopped them" },
	[F_NEVER] = { "stopwatch_cumulative_cpus_never_stopped", SW_METRIC_COUNTER, NULL,
		      "CPUs a stop had to stop that never ran a stop handler" },
	[F_SDEI] = { "stopwatch_cumulative_sdei_deliveries", SW_METRIC_COUNTER, NULL,
		     "SDEI event 0 deliveries seen by live mode, per reason" },
	[F_ESCALATION] = { "stopwatch_cumulative_escalation_delay_seconds", SW_METRIC_HISTOGRAM,
			   "seconds", "a rung's fire after the rung before it, per rung escalated to",
			   &sw_buckets_escalation },
	[F_ACK] = { "stopwatch_cumulative_ack_latency_seconds", SW_METRIC_HISTOGRAM, "seconds",
		    "rung fired to a CPU's stop handler, per rung (exact records only)",
		    &sw_buckets_ack },
};

void sw_state_expo(struct sw_expo *e, const struct sw_state *s)
{
	const struct sw_state_totals *t = sw_state_totals(s);
	struct sw_expo_family *f;
	char l[SW_EXPO_LABELS];
	__u64 sdei[SW_SDEI_KINDS];

	f = sw_expo_family(e, &fam[F_RECORDS]);
	for (int i = 0; i < SW_SOURCES; i++) {
		sw_expo_labels(l, sizeof(l), "source", sw_source_name(i), NULL);
		sw_expo_counter(e, f, l, t->records[i]);
	}
	/*
	 * 25 kind x outcome pairs, most never seen on a host: only the seen
	 * ones, to keep a host within its series budget. The alerts use the
	 * always-present failed_stops and cpus_stopped.
	 */
	f = sw_expo_family(e, &fam[F_STOPS]);
	for (int k = 0; k < SW_KIND_COUNT; k++)
		for (int o = 0; o < SW_OUTCOMES; o++) {
			if (!t->stops[k][o])
				continue;
			sw_expo_labels(l, sizeof(l), "kind", sw_kind_name(k), "outcome",
				       sw_outcome_name(o), NULL);
			sw_expo_counter(e, f, l, t->stops[k][o]);
		}
	sw_expo_counter(e, sw_expo_family(e, &fam[F_FAILED]), "", sw_state_failed_stops(t));
	f = sw_expo_family(e, &fam[F_CPUS_STOPPED]);
	for (int r = SW_RUNG_IPI; r < SW_RUNG_COUNT; r++) {
		sw_expo_labels(l, sizeof(l), "rung", sw_rung_name(r), NULL);
		sw_expo_counter(e, f, l, t->cpus_stopped[r]);
	}
	sw_expo_counter(e, sw_expo_family(e, &fam[F_NEVER]), "", t->cpus_never_stopped);
	sw_state_sdei_totals(s, sdei);
	f = sw_expo_family(e, &fam[F_SDEI]);
	for (int k = 0; k < SW_SDEI_KINDS; k++) {
		sw_expo_labels(l, sizeof(l), "reason", sw_sdei_kind_name(k), NULL);
		sw_expo_counter(e, f, l, sdei[k]);
	}
	/* histograms of rungs that never fired here (x86 has no SDEI) are left out */
	f = sw_expo_family(e, &fam[F_ESCALATION]);
	for (int i = 1; i < SW_FIRE_RUNGS; i++) {
		if (!t->escalation[i].count)
			continue;
		sw_expo_labels(l, sizeof(l), "rung", sw_rung_name(i + 1), NULL);
		sw_expo_hist(e, f, l, true, &t->escalation[i]);
	}
	f = sw_expo_family(e, &fam[F_ACK]);
	for (int i = 0; i < SW_FIRE_RUNGS; i++) {
		if (!t->ack[i].count)
			continue;
		sw_expo_labels(l, sizeof(l), "rung", sw_rung_name(i + 1), NULL);
		sw_expo_hist(e, f, l, true, &t->ack[i]);
	}
}
