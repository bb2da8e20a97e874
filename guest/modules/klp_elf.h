/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KLP_SYM(obj, name, pos): declares an extern as a livepatch symbol
 * (Documentation/livepatch/module-elf-format.rst §4.2), one that livepatch, not
 * the module loader, resolves: a static or unexported function of vmlinux or of a
 * module, the pos-th of that name in the object's kallsyms (0: the name is unique).
 *
 *   extern int elf_version_proc_show(struct seq_file *m, void *v)
 *           KLP_SYM(vmlinux, version_proc_show, 0);
 *
 * The assembler name is the final `.klp.sym.vmlinux.version_proc_show,0`, quoted
 * so that GNU as takes the comma. Weak, because modpost cannot resolve it and
 * lets only a weak one pass; other modules keep modpost's check. After kbuild the
 * harness (harness/src/image/klp_elf.cpp) turns it into a GLOBAL SHN_LIVEPATCH
 * symbol and moves its relocations into .klp.rela.<obj>.<section>.
 */
#ifndef KLP_ELF_H
#define KLP_ELF_H

/* Two levels: a position given as a macro is expanded before it is quoted. */
#define KLP_SYM(obj, name, pos) KLP_SYM_(obj, name, pos)
#define KLP_SYM_(obj, name, pos) \
	__asm__("\".klp.sym." #obj "." #name "," #pos "\"") __attribute__((weak))

#endif
