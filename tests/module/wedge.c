// SPDX-License-Identifier: GPL-2.0
/*
 * wedge: spin a chosen CPU forever with interrupts disabled.
 *
 * The stop IPI of smp_send_stop() cannot reach such a CPU; only an NMI
 * (x86) or pseudo-NMI/SDEI (arm64) can stop it. That is the case the
 * stopwatch lab exercises.
 *
 *   insmod wedge.ko cpu=2
 *   echo now > /sys/module/wedge/parameters/trigger       (or 1)
 *   echo shutdown > /sys/module/wedge/parameters/trigger
 *   cat /sys/module/wedge/parameters/wedged        -> CPU spinning, -1 = none
 *
 * "now": a kthread bound to the CPU drops its borrowed user mm (leave_mm),
 * so TLB shootdowns of exiting processes do not wait for the wedged CPU,
 * then disables interrupts and spins. Good for panic and kdump. A task left
 * on the wedged CPU's run queue never runs again: the writer of the trigger
 * is moved off that CPU first (its affinity stays so), and callers should
 * keep their other tasks off it too (taskset).
 *
 * "shutdown": the CPU is wedged at the very end of reboot/halt/power-off,
 * from a syscore shutdown hook (after the reboot notifiers and device
 * shutdown, just before machine_restart() stops the CPUs), by an async
 * function-call IPI that never returns. A CPU wedged earlier would hang
 * the reboot before it reaches the stop: the perf reboot notifier
 * (perf_event_exit_cpu_context) waits for a function call on every CPU.
 *
 * Parallel panic, for the self rung: two CPUs call panic() at once; the
 * kernel lets one through, and the loser stops itself in
 * panic_smp_self_stop() (with interrupts disabled, before the winner's stop).
 *
 *   echo 1,3 > /sys/module/wedge/parameters/panic_pair
 *   echo 1,3,500 > ...panic_pair   CPU 3 panics 500 ms after CPU 1, with
 *                                  interrupts off: it stops itself inside
 *                                  CPU 1's stop (a crash stop under kdump)
 *
 * mask_all=1 (arm64): mask every DAIF exception, not just IRQs, so that not
 * even a pseudo-NMI reaches the CPU. On x86 NMIs cannot be masked: same as
 * the default.
 *
 * The module cannot be unloaded once a CPU is wedged or armed.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/kthread.h>
#include <linux/delay.h>
#include <linux/cpumask.h>
#include <linux/mmu_context.h>
#include <linux/irqflags.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/syscore_ops.h>
#ifdef CONFIG_ARM64
#include <asm/daifflags.h>
#endif

static int cpu = 2;
module_param(cpu, int, 0644);
MODULE_PARM_DESC(cpu, "CPU to wedge (default 2)");

static bool mask_all;
module_param(mask_all, bool, 0644);
MODULE_PARM_DESC(mask_all, "arm64: mask all of DAIF (no pseudo-NMI either)");

static int wedged = -1;		/* CPU spinning, -1 = none */
module_param(wedged, int, 0444);
MODULE_PARM_DESC(wedged, "CPU that spins with interrupts disabled, -1 = none");

static int armed = -1;		/* CPU to wedge at shutdown, -1 = none */
module_param(armed, int, 0444);
MODULE_PARM_DESC(armed, "CPU to wedge at shutdown, -1 = none");

static DEFINE_MUTEX(wedge_lock);

static __always_inline void mask_irqs(void)
{
#ifdef CONFIG_ARM64
	if (mask_all) {
		local_daif_mask();
		return;
	}
#endif
	local_irq_disable();
}

static void __noreturn spin(void)
{
	mask_irqs();
	WRITE_ONCE(wedged, smp_processor_id());
	for (;;)
		cpu_relax();
}

static int wedge_kthread(void *arg)
{
	leave_mm();		/* x86: leave the lazily borrowed user mm */
	preempt_disable();
	spin();
	return 0;
}

static void wedge_ipi(void *arg)
{
	spin();
}

static bool wait_wedged(unsigned int usecs)
{
	while (READ_ONCE(wedged) < 0 && usecs--)
		udelay(1);
	return READ_ONCE(wedged) >= 0;
}

/* syscore shutdown: last hook of kernel_restart/halt/power_off */
static void wedge_shutdown(void)
{
	int target = READ_ONCE(armed);

	if (target < 0 || READ_ONCE(wedged) >= 0 || !cpu_online(target) ||
	    target == smp_processor_id())
		return;
	smp_call_function_single(target, wedge_ipi, NULL, 0);
	if (wait_wedged(USEC_PER_SEC))
		pr_emerg("wedge: CPU %d spinning with interrupts disabled (at shutdown)\n", target);
	else
		pr_emerg("wedge: CPU %d did not start spinning at shutdown\n", target);
}

#ifdef WEDGE_SYSCORE_DATA	/* struct syscore + ops with a data argument */
static void wedge_shutdown_data(void *data)
{
	wedge_shutdown();
}

static const struct syscore_ops wedge_syscore_ops = {
	.shutdown = wedge_shutdown_data,
};
static struct syscore wedge_syscore = {
	.ops = &wedge_syscore_ops,
};
#define wedge_register()	register_syscore(&wedge_syscore)
#define wedge_unregister()	unregister_syscore(&wedge_syscore)
#else				/* 6.12 upstream: register_syscore_ops() */
static struct syscore_ops wedge_syscore_ops = {
	.shutdown = wedge_shutdown,
};
#define wedge_register()	register_syscore_ops(&wedge_syscore_ops)
#define wedge_unregister()	unregister_syscore_ops(&wedge_syscore_ops)
#endif

static int wedge_now(int target)
{
	struct task_struct *t;
	cpumask_var_t away;
	int ret;

	/* move the writer off the target CPU before that CPU spins */
	if (!zalloc_cpumask_var(&away, GFP_KERNEL))
		return -ENOMEM;
	cpumask_andnot(away, current->cpus_ptr, cpumask_of(target));
	cpumask_and(away, away, cpu_online_mask);
	if (cpumask_empty(away))
		cpumask_andnot(away, cpu_online_mask, cpumask_of(target));
	ret = set_cpus_allowed_ptr(current, away);
	free_cpumask_var(away);
	if (ret)
		return ret;

	t = kthread_create_on_cpu(wedge_kthread, NULL, target, "wedge/%u");
	if (IS_ERR(t))
		return PTR_ERR(t);
	wake_up_process(t);
	if (!wait_wedged(5 * USEC_PER_SEC)) {
		pr_err("wedge: CPU %d did not start spinning\n", target);
		return -ETIMEDOUT;
	}
	pr_info("wedge: CPU %d spinning with interrupts disabled\n", target);
	return 0;
}

static int trigger_set(const char *val, const struct kernel_param *kp)
{
	int target = READ_ONCE(cpu), ret = 0;
	bool at_shutdown = sysfs_streq(val, "shutdown"), on = true;

	if (!at_shutdown && !sysfs_streq(val, "now")) {
		ret = kstrtobool(val, &on);
		if (ret)
			return ret;
		if (!on)
			return 0;
	}
	if (target < 0 || target >= nr_cpu_ids || !cpu_online(target))
		return -EINVAL;

	mutex_lock(&wedge_lock);
	if (READ_ONCE(wedged) >= 0 || READ_ONCE(armed) >= 0) {
		ret = -EBUSY;
		goto out;
	}
	if (!try_module_get(THIS_MODULE)) {	/* never unloaded from now on */
		ret = -ENODEV;
		goto out;
	}
	if (at_shutdown) {
		WRITE_ONCE(armed, target);
		pr_info("wedge: CPU %d will spin at shutdown\n", target);
	} else {
		ret = wedge_now(target);
		if (ret)
			module_put(THIS_MODULE);
	}
out:
	mutex_unlock(&wedge_lock);
	return ret;
}

static int trigger_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", READ_ONCE(wedged) >= 0 ? "wedged" :
			  READ_ONCE(armed) >= 0 ? "armed" : "idle");
}

static const struct kernel_param_ops trigger_ops = {
	.set = trigger_set,
	.get = trigger_get,
};
module_param_cb(trigger, &trigger_ops, NULL, 0600);
MODULE_PARM_DESC(trigger, "now|1: wedge the CPU named by cpu= now; shutdown: at reboot/halt");

static atomic_t racers = ATOMIC_INIT(0);
static unsigned int panic_delay_ms;	/* the second CPU's, interrupts off */

static int panic_kthread(void *arg)
{
	bool second = arg != NULL;

	/*
	 * Interrupts off before the line, so that neither CPU can be stopped by
	 * the other's stop IPI before it calls panic(): the loser must reach
	 * panic_smp_self_stop() (CI, arm64 v4, 2026-12-02: with interrupts on,
	 * the winner's IPI stopped the loser's kthread first, about 1 run in 8).
	 */
	local_irq_disable();
	atomic_inc(&racers);
	while (atomic_read(&racers) < 2)	/* both at the line: then go */
		cpu_relax();
	if (second && panic_delay_ms)
		mdelay(panic_delay_ms);
	panic("wedge: parallel panic on CPU %d", smp_processor_id());
	return 0;
}

static int panic_pair_set(const char *val, const struct kernel_param *kp)
{
	struct task_struct *t[2];
	unsigned int a, b;

	panic_delay_ms = 0;
	if (sscanf(val, "%u,%u,%u", &a, &b, &panic_delay_ms) < 2 || a == b || a >= nr_cpu_ids ||
	    b >= nr_cpu_ids || !cpu_online(a) || !cpu_online(b))
		return -EINVAL;
	if (!try_module_get(THIS_MODULE))	/* never unloaded from now on */
		return -ENODEV;
	t[0] = kthread_create_on_cpu(panic_kthread, NULL, a, "wedge-panic/%u");
	t[1] = kthread_create_on_cpu(panic_kthread, (void *)1, b, "wedge-panic/%u");
	if (IS_ERR(t[0]) || IS_ERR(t[1])) {
		/* the one made never ran: stop it before it panics alone */
		if (!IS_ERR(t[0]))
			kthread_stop(t[0]);
		if (!IS_ERR(t[1]))
			kthread_stop(t[1]);
		module_put(THIS_MODULE);
		return -ENOMEM;
	}
	if (panic_delay_ms)
		pr_emerg("wedge: CPU %u panics, CPU %u %u ms later\n", a, b, panic_delay_ms);
	else
		pr_emerg("wedge: CPUs %u and %u panic at once\n", a, b);
	wake_up_process(t[0]);
	wake_up_process(t[1]);
	return 0;
}

static const struct kernel_param_ops panic_pair_ops = {
	.set = panic_pair_set,
};
module_param_cb(panic_pair, &panic_pair_ops, NULL, 0200);
MODULE_PARM_DESC(panic_pair, "A,B[,MS]: CPUs A and B call panic() at once, or B MS ms later, both with interrupts off (the loser stops itself)");

static int __init wedge_init(void)
{
	wedge_register();
	pr_info("wedge: loaded, cpu=%d\n", cpu);
	return 0;
}

static void __exit wedge_exit(void)
{
	wedge_unregister();
}

module_init(wedge_init);
module_exit(wedge_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("stopwatch lab: spin a CPU with interrupts disabled");
