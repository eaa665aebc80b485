// SPDX-License-Identifier: GPL-2.0
/*
 * sw_wedge: wedge one CPU with DAIF fully masked, for the stopwatch arm64 lab.
 *
 *   insmod sw_wedge.ko cpu=2
 *
 * starts a kthread bound to @cpu that masks D, A, I and F (msr daifset, #0xf)
 * and spins forever. Neither a regular IPI nor a pseudo-NMI reaches that CPU
 * any more; only an SDEI event (or a reset) does. The module cannot be
 * unloaded: the CPU never comes back.
 */
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/smp.h>

static int cpu = 1;
module_param(cpu, int, 0444);
MODULE_PARM_DESC(cpu, "CPU to wedge (default 1)");

/* out of line so that it names itself in a backtrace of the wedged CPU */
static noinline int sw_wedge_spin(void *unused)
{
	pr_info("sw_wedge: CPU %d masking DAIF and spinning\n",
		raw_smp_processor_id());

	asm volatile("msr daifset, #0xf" : : : "memory");
	for (;;)
		asm volatile("yield" : : : "memory");

	return 0;
}

static int __init sw_wedge_init(void)
{
	struct task_struct *t;

	if (cpu < 0 || cpu >= nr_cpu_ids || !cpu_online(cpu)) {
		pr_err("sw_wedge: CPU %d is not online\n", cpu);
		return -EINVAL;
	}

	t = kthread_create(sw_wedge_spin, NULL, "sw_wedge/%d", cpu);
	if (IS_ERR(t))
		return PTR_ERR(t);
	kthread_bind(t, cpu);
	wake_up_process(t);
	return 0;
}
module_init(sw_wedge_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Wedge a CPU with DAIF masked (stopwatch arm64 lab)");
