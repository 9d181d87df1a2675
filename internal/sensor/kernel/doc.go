// Package kernel loads the runtime sensor's eBPF programs and decodes the records they send.
//
// # Hooks
//
// The sensor has two hook sets. Sensor.Hooks lists every hook, whether it
// is attached, and the record kinds it reports.
//
// Always attached: the scheduler tracepoints sched_process_exec,
// sched_process_fork and sched_process_exit (KindExec, KindFork,
// KindExit), and the cgroup tracepoints cgroup_mkdir, cgroup_rmdir and
// cgroup_attach_task (KindCgroup).
//
// # Attribution facts
//
// What places a process in a container is read in the kernel, when it
// happens, so that it never depends on the process (or its cgroup) still
// existing when user space reads the record: every cgroup made, removed or
// joined is reported with its id, hierarchy and path (the names of its
// kernfs node and ancestors, the deepest 16 kept), whoever does it (the
// sensor's own process aside, Config.IgnorePIDs does not apply); each
// exec carries the process's cgroup v2 path, its path in the pids
// controller's v1 hierarchy where that controller is on v1 (hybrid hosts,
// where some runtimes use only v1), and its root directory's device and
// path within that file system (Exec.Attr); each fork the child's cgroup
// v2 id, which differs from the parent's after clone3's CLONE_INTO_CGROUP.
// Every record's header carries the cgroup v2 id and the mount, pid and
// network namespace inodes. The host's own namespaces are read in the
// kernel too, at Open (HostNamespaces: a program run once walks up from
// the sensor's process to the host's pid 1), for hosts where /proc/1/ns
// cannot be read.
//
// The default hook set attaches no syscall tracepoint. Attaching any
// program to sys_enter or sys_exit makes every syscall of every task take
// the kernel's slow path, which alone costs open- and connect-heavy loops
// 5–10% (docs/PERFORMANCE.md). Instead:
//
//   - cgroup sock_addr programs on the cgroup v2 root: connect4,
//     connect6 and connect_unix (KindConnect), bind4 and bind6 (KindBind).
//     They run in the calling task before the kernel acts, and always
//     allow the call. The header is complete; the record is an Entry
//     (Ret 0: a refused or failed connect is reported too); file
//     descriptors are unknown (Net.FD -1); Local of a connect is what the
//     socket was bound to before it (usually unspecified). UDP sends
//     without connect are not reported (as with sys_exit). Programs see
//     the sockets of every cgroup below the root they are attached to:
//     inside a container whose cgroup namespace hides the host's root,
//     only that container.
//   - inet_sock_set_state (tp_btf, raw_tp fallback): a TCP socket going
//     from CLOSE to LISTEN, in the task calling listen, is a KindListen
//     (an Entry: a listen that then fails on a port conflict is
//     reported too). A passive connection going from SYN_RECV to
//     ESTABLISHED is a KindAccept. That happens in softirq (on loopback,
//     in the client's context), so the sensor records who made each
//     socket listen, by network namespace, port and address, and reports
//     the accept with that process (Record.ListenerOwner). It is the
//     process that called listen, not necessarily the one that calls
//     accept; for a socket listening before the sensor started only the
//     socket's owner uid, cgroup and network namespace are known (TGID
//     0). Several sockets listening on one port (SO_REUSEPORT) share the
//     last listener's attribution. The accept is reported when the
//     connection is established, whether or not accept is ever called.
//   - Repeats: a process's connects to one address and port, and a
//     listener's accepts from one address on one port, are reported
//     once in Config.NetDedup (1 s); the others are counted in
//     Stats.Suppressed before any record is built.
//   - signal_generate (tp_btf, raw_tp fallback): the SIGSTOP the kernel
//     sends a process a ptrace attach just linked to its tracer (the
//     current task) is reported as the tracer's ptrace call, from its
//     saved registers, unless cap_capable already reported that call.
//   - cap_capable (tp_btf, raw_tp fallback): the capability check inside
//     privileged syscalls. The program reads the syscall number and
//     arguments the task saved on entry and, for mount, umount2, chroot,
//     unshare, setns, the set*id family, ptrace (attach, seize, pokes,
//     register writes), init_module, finit_module and bpf(BPF_PROG_LOAD),
//     reports the same kinds and structs sys_exit does, as Entry records
//     (Ret 0; a set*id record holds the credentials before the change).
//     A call that checks several capabilities is reported once: further
//     checks by the same thread with the same syscall and arguments
//     within a second are counted in Stats.Suppressed (and so is an
//     identical second call within that second). Other capability checks
//     (every private writable mmap checks one) cost a few loads and
//     compares.
//
// What the default hooks do not see:
//
//   - file opens, renames, unlinks and chmods (KindOpen, KindRename,
//     KindUnlink, KindChmod): left to a file-event source (fanotify);
//   - dup onto stdio (KindDup) and memfd_create (KindMemfd); an exec
//     record still says what fds 0–2 are (Exec.Stdio) and whether the
//     program runs from a memfd (Exec.Memfd);
//   - AF_UNIX bind and listen, and accept on AF_UNIX sockets;
//   - privileged calls that pass no capability check: PTRACE_SEIZE of a
//     dumpable process with the caller's uids and gids and no
//     capabilities the caller lacks (root seizing an ordinary root
//     process among them), unless Yama's ptrace_scope makes the kernel
//     check CAP_SYS_PTRACE; pokes and register writes on an already
//     attached tracee (PTRACE_ATTACH itself is seen, from the stop signal
//     it sends: signal_generate); unshare(CLONE_NEWUSER) alone and unshare of
//     non-namespace flags; set*id calls other than setuid and setgid
//     that only switch among ids the process already holds; calls that
//     fail before their check (a bad address, a missing mount point or
//     chroot directory; on a kernel without module support,
//     finit_module);
//   - the result of any Entry call.
//
// With Config.SyscallTracepoint the sys_exit hook replaces the cgroup,
// inet_sock_set_state and cap_capable programs: every watched syscall is
// reported when it returns, with its return value and the file
// descriptors, and the list above is covered, at the cost of the syscall
// slow path.
package kernel
