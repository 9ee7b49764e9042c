/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * net_vhost devargs: iface=<path>,queues=<1..128>,client=<0|1>,tso=<0|1>,
 * legacy-ol-flags=<0|1>,linear-buffer=<0|1>,ext-buffer=<0|1>,iommu-support=<0|1>,
 * postcopy-support=<0|1>.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <rte_kvargs.h>

#include "eth_vhost.h"

#define ARG_IFACE	"iface"
#define ARG_QUEUES	"queues"
#define ARG_CLIENT	"client"
#define ARG_TSO		"tso"
#define ARG_LEGACY_OL	"legacy-ol-flags"
#define ARG_LINEAR	"linear-buffer"
#define ARG_EXTBUF	"ext-buffer"
#define ARG_IOMMU	"iommu-support"
#define ARG_POSTCOPY	"postcopy-support"

/* Keys of DPDK's net_vhost that we recognise but do not implement: refusing
 * them beats silently running with a different configuration. */
static const char * const unsupported_keys[] = {
	"dequeue-zero-copy",
	NULL,
};

static bool
key_is_unsupported(const char *key)
{
	const char * const *k;

	for (k = unsupported_keys; *k != NULL; k++)
		if (strcmp(*k, key) == 0)
			return true;
	return false;
}

static int
parse_iface(const char *value, struct eth_vhost_args *out)
{
	struct stat st;
	size_t len = strlen(value);

	if (len == 0) {
		VHOST_LOG(ERR, "devarg '" ARG_IFACE "' is empty");
		return -EINVAL;
	}
	if (len >= sizeof(out->iface)) {
		VHOST_LOG(ERR, "devarg '" ARG_IFACE "': path is %zu bytes, a unix socket path holds at most %zu",
			len, sizeof(out->iface) - 1);
		return -EINVAL;
	}
	if (lstat(value, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			VHOST_LOG(ERR, "devarg '" ARG_IFACE "': '%s' exists and is not a socket",
				value);
			return -EINVAL;
		}
	} else if (errno != ENOENT) {
		VHOST_LOG(ERR, "devarg '" ARG_IFACE "': cannot use '%s': %s",
			value, strerror(errno));
		return -EINVAL;
	}
	memcpy(out->iface, value, len + 1);
	return 0;
}

static int
parse_queues(const char *value, struct eth_vhost_args *out)
{
	unsigned long n;
	char *end;

	/* strtoul() would accept blanks, a sign and hex: we only take digits. */
	if (value[0] < '0' || value[0] > '9')
		goto bad;
	errno = 0;
	n = strtoul(value, &end, 10);
	if (errno != 0 || *end != '\0')
		goto bad;
	if (n < 1 || n > ETH_VHOST_MAX_QUEUES) {
		VHOST_LOG(ERR, "devarg '" ARG_QUEUES "': %s is out of range 1..%d",
			value, ETH_VHOST_MAX_QUEUES);
		return -EINVAL;
	}
	out->queues = (uint16_t)n;
	return 0;
bad:
	VHOST_LOG(ERR, "devarg '" ARG_QUEUES "': '%s' is not a decimal number",
		value);
	return -EINVAL;
}

/* A boolean devarg: exactly "0" or "1". */
static int
parse_bool(const char *key, const char *value, bool *out)
{
	if (strcmp(value, "0") == 0) {
		*out = false;
	} else if (strcmp(value, "1") == 0) {
		*out = true;
	} else {
		VHOST_LOG(ERR, "devarg '%s': '%s' is not 0 or 1", key, value);
		return -EINVAL;
	}
	return 0;
}

enum arg_key { KEY_IFACE, KEY_QUEUES, KEY_CLIENT, KEY_TSO, KEY_LEGACY_OL, KEY_LINEAR,
	KEY_EXTBUF, KEY_IOMMU, KEY_POSTCOPY, KEY_COUNT };

static const char * const supported_keys[KEY_COUNT] = {
	[KEY_IFACE] = ARG_IFACE,
	[KEY_QUEUES] = ARG_QUEUES,
	[KEY_CLIENT] = ARG_CLIENT,
	[KEY_TSO] = ARG_TSO,
	[KEY_LEGACY_OL] = ARG_LEGACY_OL,
	[KEY_LINEAR] = ARG_LINEAR,
	[KEY_EXTBUF] = ARG_EXTBUF,
	[KEY_IOMMU] = ARG_IOMMU,
	[KEY_POSTCOPY] = ARG_POSTCOPY,
};

/* Dispatch one key=value pair. seen[] catches a key given twice. */
static int
parse_pair(const char *key, const char *value, struct eth_vhost_args *out,
	bool seen[KEY_COUNT])
{
	int i;

	for (i = 0; i < KEY_COUNT; i++)
		if (strcmp(key, supported_keys[i]) == 0)
			break;
	if (i == KEY_COUNT) {
		if (key_is_unsupported(key))
			VHOST_LOG(ERR, "devarg '%s' is not supported yet", key);
		else
			VHOST_LOG(ERR, "unknown devarg '%s' (valid: "
				ARG_IFACE ", " ARG_QUEUES ", " ARG_CLIENT ", "
				ARG_TSO ", " ARG_LEGACY_OL ", " ARG_LINEAR ", " ARG_EXTBUF ", "
				ARG_IOMMU ", " ARG_POSTCOPY ")",
				key);
		return -EINVAL;
	}
	if (seen[i]) {
		VHOST_LOG(ERR, "devarg '%s' is given more than once", key);
		return -EINVAL;
	}
	seen[i] = true;
	if (value == NULL) {
		VHOST_LOG(ERR, "devarg '%s' has no value", key);
		return -EINVAL;
	}
	switch (i) {
	case KEY_IFACE:
		return parse_iface(value, out);
	case KEY_QUEUES:
		return parse_queues(value, out);
	case KEY_CLIENT:
		return parse_bool(key, value, &out->client);
	case KEY_TSO:
		return parse_bool(key, value, &out->tso);
	case KEY_LEGACY_OL:
		return parse_bool(key, value, &out->legacy_ol_flags);
	case KEY_LINEAR:
		return parse_bool(key, value, &out->linear_buf);
	case KEY_IOMMU:
		return parse_bool(key, value, &out->iommu);
	case KEY_POSTCOPY:
		return parse_bool(key, value, &out->postcopy);
	default:
		return parse_bool(key, value, &out->ext_buf);
	}
}

int
eth_vhost_args_parse(const char *name, const char *args,
		struct eth_vhost_args *out)
{
	struct rte_kvargs *kvlist;
	bool seen[KEY_COUNT] = { false };
	unsigned int i;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	out->queues = 1;

	kvlist = rte_kvargs_parse(args != NULL ? args : "", NULL);
	if (kvlist == NULL) {
		VHOST_LOG(ERR, "%s: cannot parse devargs '%s' (more than %d keys?)",
			name, args != NULL ? args : "", RTE_KVARGS_MAX);
		return -EINVAL;
	}
	for (i = 0; i < kvlist->count && ret == 0; i++) {
		const struct rte_kvargs_pair *p = &kvlist->pairs[i];

		ret = parse_pair(p->key != NULL ? p->key : "", p->value,
				out, seen);
	}
	rte_kvargs_free(kvlist);
	if (ret != 0)
		return ret;

	if (!seen[KEY_IFACE]) {
		VHOST_LOG(ERR, "%s: devarg '" ARG_IFACE "' is required (the vhost-user socket path)",
			name);
		return -EINVAL;
	}
	if (out->linear_buf && out->ext_buf) {
		VHOST_LOG(ERR, "%s: devargs '" ARG_LINEAR "' and '" ARG_EXTBUF "' exclude each other (drop or attach a big packet?)",
			name);
		return -EINVAL;
	}
	return 0;
}
