/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Input header for the module-local bindgen run (nlspec_bindgen.py).
 *
 * It pulls in the generic netlink headers of the kernel the module is built
 * against, so struct layouts (genl_family, genl_info, nla_policy, ...) always
 * come from that kernel. The NLSPEC_* constants below exist only while bindgen
 * parses this file: they turn enum values and function-like macros that
 * bindgen cannot evaluate into plain constants with stable names.
 */
#ifndef NLSPEC_HELPER_H
#define NLSPEC_HELPER_H

#include <linux/errno.h>
#include <linux/skbuff.h>
#include <net/netlink.h>
#include <net/genetlink.h>
#include <linux/netlink.h>
#include <linux/capability.h>
#include <linux/timer.h>
#include <linux/jiffies.h>
#include <linux/rcupdate.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <linux/slab.h>
#include <linux/xarray.h>

/*
 * Classic netlink protocols (nlspec_support.rs, "Classic netlink"): thin wrappers of macros
 * and of fields bindgen cannot reach portably (NETLINK_CB, skb->sk inside a union that
 * changes between kernels, net->user_ns), wrapped into nlspec_wrappers.c by bindgen.
 */
static inline u32 nlspec_skb_portid(const struct sk_buff *skb)
{
	return NETLINK_CB(skb).portid;
}

static inline struct sock *nlspec_skb_sk(const struct sk_buff *skb)
{
	return skb->sk;
}

/* The socket a Generic Netlink request was sent from (netlink_unicast_kernel sets it). */
static inline struct sock *nlspec_skb_sender_sk(const struct sk_buff *skb)
{
	return NETLINK_CB(skb).sk;
}

/*
 * Per-socket private memory of @family for @sk (sock_priv_size/init/destroy, 6.9+), made on
 * the first call for that socket. The kernel keeps the memory in the family's sock_privs
 * xarray and releases it (destroy, then kfree) when the socket closes or the family is
 * unregistered; but its own accessor, genl_sk_priv_get(), is not exported to modules
 * (6.9 to 7.3), so a module looks up and inserts itself, the same way: lookup, else allocate
 * and initialise, then insert unless another caller for the same socket won the race (then
 * its memory is used and ours destroyed). Returns 0 with *@out set, or a negative errno.
 */
static inline int nlspec_genl_sk_priv(struct genl_family *family, struct sock *sk, void **out)
{
	struct xarray *xa = family->sock_privs;
	void *mine, *cur;

	if (!xa || !sk || !family->sock_priv_size)
		return -EINVAL;
	cur = xa_load(xa, (unsigned long)sk);
	if (cur) {
		*out = cur;
		return 0;
	}
	mine = kzalloc(family->sock_priv_size, GFP_KERNEL);
	if (!mine)
		return -ENOMEM;
	if (family->sock_priv_init)
		family->sock_priv_init(mine);
	cur = xa_cmpxchg(xa, (unsigned long)sk, NULL, mine, GFP_KERNEL);
	if (!cur) {
		*out = mine;
		return 0;
	}
	if (family->sock_priv_destroy)
		family->sock_priv_destroy(mine);
	kfree(mine);
	if (xa_is_err(cur))
		return xa_err(cur);
	*out = cur;
	return 0;
}

static inline struct net *nlspec_init_net(void)
{
	return &init_net;
}

/* CAP_NET_ADMIN in the user namespace owning @net (for multicast group binds). */
static inline bool nlspec_net_admin_capable(struct net *net)
{
	return ns_capable(net->user_ns, CAP_NET_ADMIN);
}

/* The per-namespace slot (a struct sock pointer) of pernet id @id. */
static inline struct sock **nlspec_pernet_slot(struct net *net, unsigned int id)
{
	return net_generic(net, id);
}

/*
 * Broadcast @skb to @group through kernel socket @sk, recording the group in the skb's
 * control block (NETLINK_PKTINFO reports it to receivers), as nlmsg_multicast does.
 * Consumes @skb.
 */
static inline int nlspec_broadcast_one(struct sock *sk, struct sk_buff *skb, u32 group,
				       gfp_t gfp)
{
	NETLINK_CB(skb).dst_group = group;
	return netlink_broadcast(sk, skb, 0, group, gfp);
}

/*
 * Broadcast @skb to @group of the kernel socket kept in pernet slot @id of every network
 * namespace (like genlmsg_multicast_allns). Consumes @skb. Returns 0 when at least one
 * namespace had a listener, -ESRCH when none had, another error otherwise.
 */
static inline int nlspec_broadcast_allns(unsigned int id, struct sk_buff *skb, u32 group,
					 gfp_t gfp)
{
	struct sk_buff *prev = NULL;
	struct sock *prev_sk = NULL;
	struct net *net;
	int err = -ESRCH, r;

	NETLINK_CB(skb).dst_group = group;
	rcu_read_lock();
	for_each_net_rcu(net) {
		struct sock *sk = READ_ONCE(*(struct sock **)net_generic(net, id));

		if (!sk)
			continue;
		if (prev) {
			struct sk_buff *c = skb_clone(prev, gfp);

			if (!c) {
				err = -ENOMEM;
				break;
			}
			r = netlink_broadcast(prev_sk, c, 0, group, gfp);
			if (r == 0)
				err = 0;
		}
		prev = skb;
		prev_sk = sk;
	}
	rcu_read_unlock();
	if (prev && err != -ENOMEM) {
		r = netlink_broadcast(prev_sk, skb, 0, group, gfp);
		if (r == 0)
			err = 0;
	} else {
		kfree_skb(skb);
	}
	return err;
}

/* A counted reference to @net (get_net); dropped with nlspec_put_net. */
static inline struct net *nlspec_get_net(struct net *net)
{
	return get_net(net);
}

static inline void nlspec_put_net(struct net *net)
{
	put_net(net);
}

static inline void nlspec_timer_setup(struct timer_list *t, void (*fn)(struct timer_list *))
{
	timer_setup(t, fn, 0);
}

static inline int nlspec_timer_arm_ms(struct timer_list *t, unsigned int ms)
{
	return mod_timer(t, jiffies + msecs_to_jiffies(ms));
}

#ifdef __BINDGEN__
const gfp_t NLSPEC_GFP_KERNEL = GFP_KERNEL;
const gfp_t NLSPEC_GFP_ATOMIC = GFP_ATOMIC;
const size_t NLSPEC_GENLMSG_DEFAULT_SIZE = GENLMSG_DEFAULT_SIZE;
const size_t NLSPEC_NLA_HDRLEN = NLA_HDRLEN;
const size_t NLSPEC_GENL_HDRLEN = GENL_HDRLEN;
const size_t NLSPEC_NLMSG_HDRLEN = NLMSG_HDRLEN;
const size_t NLSPEC_GENL_NAMSIZ = GENL_NAMSIZ;
const size_t NLSPEC_NETLINK_CB_CTX_SIZE = sizeof_field(struct netlink_callback, ctx);
const size_t NLSPEC_KMALLOC_MINALIGN = ARCH_KMALLOC_MINALIGN;

const u8 NLSPEC_NLA_UNSPEC = NLA_UNSPEC;
const u8 NLSPEC_NLA_U8 = NLA_U8;
const u8 NLSPEC_NLA_U16 = NLA_U16;
const u8 NLSPEC_NLA_U32 = NLA_U32;
const u8 NLSPEC_NLA_U64 = NLA_U64;
const u8 NLSPEC_NLA_STRING = NLA_STRING;
const u8 NLSPEC_NLA_FLAG = NLA_FLAG;
const u8 NLSPEC_NLA_MSECS = NLA_MSECS;
const u8 NLSPEC_NLA_NESTED = NLA_NESTED;
const u8 NLSPEC_NLA_NESTED_ARRAY = NLA_NESTED_ARRAY;
const u8 NLSPEC_NLA_NUL_STRING = NLA_NUL_STRING;
const u8 NLSPEC_NLA_BINARY = NLA_BINARY;
const u8 NLSPEC_NLA_S8 = NLA_S8;
const u8 NLSPEC_NLA_S16 = NLA_S16;
const u8 NLSPEC_NLA_S32 = NLA_S32;
const u8 NLSPEC_NLA_S64 = NLA_S64;
const u8 NLSPEC_NLA_BITFIELD32 = NLA_BITFIELD32;
const u8 NLSPEC_NLA_REJECT = NLA_REJECT;
const u8 NLSPEC_NLA_BE16 = NLA_BE16;
const u8 NLSPEC_NLA_BE32 = NLA_BE32;
const u8 NLSPEC_NLA_SINT = NLA_SINT;
const u8 NLSPEC_NLA_UINT = NLA_UINT;

const u8 NLSPEC_NLA_VALIDATE_NONE = NLA_VALIDATE_NONE;
const u8 NLSPEC_NLA_VALIDATE_RANGE = NLA_VALIDATE_RANGE;
const u8 NLSPEC_NLA_VALIDATE_MIN = NLA_VALIDATE_MIN;
const u8 NLSPEC_NLA_VALIDATE_MAX = NLA_VALIDATE_MAX;
const u8 NLSPEC_NLA_VALIDATE_MASK = NLA_VALIDATE_MASK;
const u8 NLSPEC_NLA_VALIDATE_RANGE_PTR = NLA_VALIDATE_RANGE_PTR;
const u8 NLSPEC_NLA_VALIDATE_FUNCTION = NLA_VALIDATE_FUNCTION;

const u8 NLSPEC_GENL_ADMIN_PERM = GENL_ADMIN_PERM;
const u8 NLSPEC_GENL_UNS_ADMIN_PERM = GENL_UNS_ADMIN_PERM;
const u8 NLSPEC_GENL_CMD_CAP_DO = GENL_CMD_CAP_DO;
const u8 NLSPEC_GENL_CMD_CAP_DUMP = GENL_CMD_CAP_DUMP;
const u8 NLSPEC_GENL_DONT_VALIDATE_STRICT = GENL_DONT_VALIDATE_STRICT;
const u8 NLSPEC_GENL_DONT_VALIDATE_DUMP = GENL_DONT_VALIDATE_DUMP;
const u8 NLSPEC_GENL_DONT_VALIDATE_DUMP_STRICT = GENL_DONT_VALIDATE_DUMP_STRICT;
const u8 NLSPEC_GENL_MCAST_CAP_NET_ADMIN = GENL_MCAST_CAP_NET_ADMIN;
const u8 NLSPEC_GENL_MCAST_CAP_SYS_ADMIN = GENL_MCAST_CAP_SYS_ADMIN;
const u16 NLSPEC_NLM_F_MULTI = NLM_F_MULTI;
const u16 NLSPEC_NLM_F_DUMP = NLM_F_DUMP;
const u16 NLSPEC_NLMSG_MIN_TYPE = NLMSG_MIN_TYPE;
const unsigned int NLSPEC_NL_CFG_F_NONROOT_RECV = NL_CFG_F_NONROOT_RECV;
const unsigned int NLSPEC_NL_CFG_F_NONROOT_SEND = NL_CFG_F_NONROOT_SEND;
const unsigned int NLSPEC_NL_VALIDATE_STRICT = NL_VALIDATE_STRICT;
const unsigned int NLSPEC_NL_VALIDATE_LIBERAL = NL_VALIDATE_LIBERAL;
const int NLSPEC_CAP_NET_ADMIN = CAP_NET_ADMIN;
const int NLSPEC_MAX_LINKS = MAX_LINKS;
const u16 NLSPEC_NLA_F_NESTED = NLA_F_NESTED;
const u16 NLSPEC_NLA_TYPE_MASK = (u16)NLA_TYPE_MASK;

const int NLSPEC_EPERM = EPERM;
const int NLSPEC_ENOENT = ENOENT;
const int NLSPEC_ESRCH = ESRCH;
const int NLSPEC_E2BIG = E2BIG;
const int NLSPEC_EAGAIN = EAGAIN;
const int NLSPEC_ENOMEM = ENOMEM;
const int NLSPEC_EBUSY = EBUSY;
const int NLSPEC_EEXIST = EEXIST;
const int NLSPEC_ENODEV = ENODEV;
const int NLSPEC_EINVAL = EINVAL;
const int NLSPEC_ENOSPC = ENOSPC;
const int NLSPEC_ERANGE = ERANGE;
const int NLSPEC_EMSGSIZE = EMSGSIZE;
const int NLSPEC_EOPNOTSUPP = EOPNOTSUPP;
const int NLSPEC_ENOBUFS = ENOBUFS;
const int NLSPEC_ECONNREFUSED = ECONNREFUSED;
const int NLSPEC_EINTR = EINTR;
#endif

#endif /* NLSPEC_HELPER_H */
