/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Linux actions → primitive ops (LINUX.md): device-name remapping in every
 * boot-relevant file, stale caches, modprobe aliases, initramfs contents and
 * configuration, persistent-net rules, foreign tools' units, X drivers.  The
 * text transformations themselves are in linux-conf.c / linux-initramfs.c.
 */
#include <fnmatch.h>

#include "engine/plan.h"
#include "linux/family-linux.h"
#include "linux/linux.h"
#include "rules.h"
#include "image/volume.h"

struct lin_ctx {
	const struct fixup_plan_input *in;
	struct fixup_plan *p;
};

/* Files of dir (guest path) whose names match glob; none when dir absent. */
static int
list_matching(struct lin_ctx *l, const char *dir, const char *glob, char ***ret)
{
	_cleanup_strv_free_ char **names = NULL, **out = NULL;
	int r;

	r = fixup_volume_list(l->in->root, dir, &names);
	if (r == -ENOENT || r == -ENOTDIR) {
		*ret = NULL;
		return 0;
	}
	if (r < 0)
		return r;
	STRV_FOREACH (n, names) {
		if (fnmatch(glob, *n, 0) != 0)
			continue;
		r = util_strv_consume(&out, util_path_join(dir, *n));
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(out);
	return 0;
}

static bool
exists(struct lin_ctx *l, const char *path, bool *is_dir)
{
	struct fixup_stat st;

	if (fixup_volume_stat(l->in->root, path, &st) < 0)
		return false;
	if (is_dir)
		*is_dir = st.is_dir;
	return true;
}

/* Reads a text file as the plan leaves it so far (an earlier action's
 * rewrite, else the guest's file); -ENOENT when absent. */
static int
read_text(struct lin_ctx *l, const char *path, char **ret, size_t *ret_len)
{
	struct fixup_stat st;
	int r;

	for (size_t i = l->p->n_ops; i-- > 0;) {
		const struct fixup_op *op = &l->p->ops[i];

		if (op->kind == FIXUP_OP_WRITE_FILE && op->vol == l->in->root &&
		    streq(op->path, path)) {
			*ret = util_strndup0((const char *)op->data, op->len);
			if (ret_len)
				*ret_len = op->len;
			return *ret ? 0 : -ENOMEM;
		}
	}

	r = fixup_volume_stat(l->in->root, path, &st);
	if (r < 0)
		return r;
	if (st.is_dir)
		return -EISDIR;
	return fixup_volume_read_file(l->in->root, path, LINUX_MAX_CONF_SIZE,
	                              ret, ret_len);
}

/* Every file whose device names are rewritten. */
static int
boot_config_files(struct lin_ctx *l, char ***ret)
{
	static const char *const fixed[] = {
	        "/etc/fstab",
	        "/etc/crypttab",
	        "/boot/grub/grub.conf",
	        "/boot/grub/menu.lst",
	        "/boot/grub/grub.cfg",
	        "/boot/grub2/grub.cfg",
	        "/etc/default/grub",
	        "/boot/grub/device.map",
	        "/boot/grub2/device.map",
	        "/etc/sysconfig/grub",
	        "/etc/sysconfig/bootloader",
	};
	_cleanup_strv_free_ char **files = NULL, **bls = NULL, **efi = NULL;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(fixed); i++) {
		bool dir = false;

		if (exists(l, fixed[i], &dir) && !dir) {
			r = util_strv_push(&files, fixed[i]);
			if (r < 0)
				return r;
		}
	}
	r = list_matching(l, "/boot/loader/entries", "*.conf", &bls);
	if (r < 0)
		return r;
	STRV_FOREACH (b, bls)
		if ((r = util_strv_push(&files, *b)) < 0)
			return r;
	r = list_matching(l, "/boot/efi/EFI", "*", &efi);
	if (r < 0)
		return r;
	STRV_FOREACH (e, efi) {
		_cleanup_free_ char *cfg = util_path_join(*e, "grub.cfg");
		bool dir = false;

		if (cfg && exists(l, cfg, &dir) && !dir &&
		    (r = util_strv_push(&files, cfg)) < 0)
			return r;
	}
	*ret = TAKE_PTR(files);
	return 0;
}

static int
rewrite_files(struct lin_ctx *l, const char *origin, linux_map_fn map,
              void *userdata, const char *what, bool fstab_only)
{
	_cleanup_strv_free_ char **files = NULL;
	int r;

	r = boot_config_files(l, &files);
	if (r < 0)
		return r;
	STRV_FOREACH (f, files) {
		_cleanup_free_ char *text = NULL, *out = NULL, *summary = NULL;
		enum linux_conf_kind kind;
		size_t len, n;
		unsigned changes;

		if (linux_conf_kind_for_path(*f, &kind) < 0)
			continue;
		if (fstab_only && kind != LINUX_CONF_FSTAB &&
		    kind != LINUX_CONF_CRYPTTAB)
			continue;
		r = read_text(l, *f, &text, &len);
		if (r < 0)
			return log_error_errno(r, "Failed to read %s: %m", *f);
		r = linux_conf_rewrite(text, len, kind, map, userdata, &out, &n,
		                       &changes);
		if (r < 0)
			return log_error_errno(r, "Failed to rewrite %s: %m",
			                       *f);
		if (changes == 0)
			continue;
		if (util_asprintf(&summary, "%s: %u name(s)", what, changes) <
		    0)
			return -ENOMEM;
		r = fixup_plan_write_file(l->p, l->in->root, *f, origin,
		                          summary, out, n);
		if (r < 0)
			return r;
		r = fixup_plan_record(l->p, origin, "%s in %s (%u)", what, *f,
		                      changes);
		if (r < 0)
			return r;
	}
	return 0;
}

static int
remove_if_present(struct lin_ctx *l, const char *path, const char *origin,
                  const char *why)
{
	struct fixup_op *op;
	bool dir = false;
	int r;

	if (!exists(l, path, &dir) || dir)
		return 0;
	for (size_t i = 0; i < l->p->n_ops; i++)
		if (l->p->ops[i].kind == FIXUP_OP_REMOVE &&
		    streq(l->p->ops[i].path, path))
			return 0;
	r = fixup_plan_add_op(l->p, FIXUP_OP_REMOVE, path, origin, &op);
	if (r < 0)
		return r;
	op->summary = strdup(why);
	if (!op->summary)
		return -ENOMEM;
	return fixup_plan_record(l->p, origin, "remove %s (%s)", path, why);
}

static int
modprobe(struct lin_ctx *l, const char *origin, const char *storage)
{
	static const char *const fixed[] = {"/etc/modprobe.conf",
	                                    "/etc/modules.conf"};
	_cleanup_strv_free_ char **files = NULL;
	int r;

	r = list_matching(l, "/etc/modprobe.d", "*.conf", &files);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(fixed); i++)
		if (exists(l, fixed[i], NULL) &&
		    (r = util_strv_push(&files, fixed[i])) < 0)
			return r;
	STRV_FOREACH (f, files) {
		_cleanup_free_ char *text = NULL, *out = NULL;
		size_t len, n;
		unsigned changes;

		if (read_text(l, *f, &text, &len) < 0)
			continue;
		r = linux_modprobe_rewrite(text, len, storage, "virtio_net",
		                           &out, &n, &changes);
		if (r < 0)
			return r;
		if (changes == 0)
			continue;
		r = fixup_plan_write_file(l->p, l->in->root, *f, origin,
		                          "modprobe aliases", out, n);
		if (r >= 0)
			r = fixup_plan_record(l->p, origin,
			                      "modprobe aliases in %s", *f);
		if (r < 0)
			return r;
	}
	return 0;
}

static int
remap_disks(struct lin_ctx *l, const struct rules_action *a, const char *origin)
{
	static const char *const caches[] = {
	        "/etc/blkid.tab",
	        "/etc/blkid/blkid.tab",
	        "/etc/lvm/cache/.cache",
	        "/etc/lvm/devices/system.devices",
	};
	const char *from = rules_action_get(a, "from");
	const char *to = rules_action_get(a, "to");
	_cleanup_strv_free_ char **prefixes = NULL;
	int r;

	if (!from || !to)
		return log_error_errno(-EINVAL,
		                       "Rule %s: remap-disks needs "
		                       "from and to.",
		                       origin);
	r = util_strv_split(from, " ,", &prefixes);
	if (r < 0)
		return r;
	struct linux_remap m = {prefixes, to};
	r = rewrite_files(l, origin, linux_remap_device, &m,
	                  "device names remapped", false);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(caches); i++) {
		r = remove_if_present(l, caches[i], origin,
		                      "stale device cache");
		if (r < 0)
			return r;
	}
	return modprobe(l, origin,
	                streq(to, "vd") ? "virtio_blk" : "virtio_scsi");
}

/* fstab-to-uuid: /dev names of the image's own disk -> UUID= of the
 * filesystem on that partition (from libblkid). */
struct uuid_map {
	const struct fixup_disk_layout *layout;
	bool swap;
	unsigned mapped;
};

static char *
uuid_for_device(const char *dev, void *userdata)
{
	static const char *const prefixes[] = {"sd", "hd", "vd", "xvd"};
	struct uuid_map *m = userdata;
	const char *name = util_startswith(dev, "/dev/"), *num = NULL;
	uint32_t n;
	char *r;

	if (!name)
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(prefixes) && !num; i++) {
		const char *rest = util_startswith(name, prefixes[i]);

		/* the first disk only: the image is one disk */
		if (rest && rest[0] == 'a' && rest[1] >= '1' && rest[1] <= '9')
			num = rest + 1;
	}
	if (!num) {
		const char *rest = util_startswith(name, "nvme0n1p");

		if (rest && *rest)
			num = rest;
	}
	if (!num || util_parse_u32(num, &n) < 0)
		return NULL;
	for (size_t i = 0; i < m->layout->n_parts; i++) {
		const struct fixup_partition *p = &m->layout->parts[i];

		if (p->number != n || !p->fsuuid)
			continue;
		if (!m->swap && p->fstype && streq(p->fstype, "swap"))
			return NULL;
		if (util_asprintf(&r, "UUID=%s", p->fsuuid) < 0)
			return NULL;
		m->mapped++;
		return r;
	}
	return NULL;
}

static int
fstab_to_uuid(struct lin_ctx *l, const struct rules_action *a,
              const char *origin)
{
	const char *swap = rules_action_get(a, "swap");
	struct uuid_map m = {
	        .layout = fixup_image_layout(l->in->image),
	        .swap = !swap || !streq(swap, "false"),
	};

	if (fixup_image_is_dir(l->in->image) || m.layout->n_parts == 0)
		return fixup_plan_add_problem(
		        l->p, origin, false,
		        "the fix keeps /dev names (remapped when the set asks "
		        "for it)",
		        "fstab-to-uuid: filesystem UUIDs are not known for a "
		        "directory image");
	return rewrite_files(l, origin, uuid_for_device, &m,
	                     "device names to UUID=", true);
}

struct kernel {
	char *version;
	char *initramfs; /* guest path or NULL */
};

static int
find_kernels(struct lin_ctx *l, struct kernel **ret, size_t *ret_n)
{
	_cleanup_strv_free_ char **k = NULL;
	struct kernel *out = NULL;
	size_t n = 0;
	int r;

	r = list_matching(l, "/boot", "vmlinuz-*", &k);
	if (r < 0)
		return r;
	STRV_FOREACH (p, k) {
		const char *ver = strrchr(*p, '/') + strlen("/vmlinuz-");
		static const char *const pre[] = {"/boot/initrd.img-",
		                                  "/boot/initramfs-",
		                                  "/boot/initrd-"};
		static const char *const suf[] = {"", ".img", ""};
		struct kernel *t = realloc(out, (n + 1) * sizeof(*t));

		if (!t)
			return -ENOMEM;
		out = t;
		out[n] = (struct kernel){strdup(ver), NULL};
		for (size_t i = 0; i < ELEMENTSOF(pre); i++) {
			_cleanup_free_ char *ip = NULL;

			if (util_asprintf(&ip, "%s%s%s", pre[i], ver, suf[i]) <
			    0)
				return -ENOMEM;
			if (exists(l, ip, NULL)) {
				out[n].initramfs = TAKE_PTR(ip);
				break;
			}
		}
		n++;
	}
	*ret = out;
	*ret_n = n;
	return 0;
}

static bool
kernel_has_module(struct lin_ctx *l, const char *ver, const char *mod)
{
	static const char *const files[] = {"modules.dep", "modules.builtin"};
	_cleanup_free_ char *want = NULL;

	if (util_asprintf(&want, "/%s.ko", mod) < 0)
		return false;
	for (char *q = want; *q; q++)
		if (*q == '-')
			*q = '_';
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		_cleanup_free_ char *p = NULL, *text = NULL;
		size_t len;

		if (util_asprintf(&p, "/lib/modules/%s/%s", ver, files[i]) < 0)
			return false;
		if (fixup_volume_read_file(l->in->root, p, 64u << 20, &text,
		                           &len) < 0)
			continue;
		for (char *q = text; *q; q++)
			if (*q == '-')
				*q = '_';
		if (strstr(text, want))
			return true;
	}
	return false;
}

static int
initramfs_modules(struct lin_ctx *l, const struct rules_action *a,
                  const char *origin)
{
	const char *mods_attr = rules_action_get(a, "modules");
	_cleanup_strv_free_ char **mods = NULL, **missing = NULL;
	struct kernel *k = NULL;
	size_t n = 0;
	int r;

	if (!mods_attr)
		return -EINVAL;
	r = util_strv_split(mods_attr, " ,", &mods);
	if (r < 0)
		return r;
	r = find_kernels(l, &k, &n);
	if (r < 0)
		return r;
	if (n == 0)
		fixup_plan_warn(l->p, "%s: no kernel found under /boot",
		                origin);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *buf = NULL;
		_cleanup_strv_free_ char **members = NULL;
		size_t len;
		bool ok = true;

		if (!k[i].initramfs) {
			fixup_plan_warn(l->p, "%s: kernel %s has no initramfs",
			                origin, k[i].version);
			continue;
		}
		r = fixup_volume_read_file(l->in->root, k[i].initramfs,
		                           LINUX_MAX_INITRAMFS_SIZE, &buf,
		                           &len);
		if (r >= 0)
			r = linux_initramfs_list(buf, len, &members, NULL);
		if (r < 0) {
			fixup_plan_warn(l->p, "%s: cannot read %s: %s", origin,
			                k[i].initramfs, strerror(-r));
			continue;
		}
		STRV_FOREACH (m, mods) {
			if (linux_members_have_module(members, *m))
				continue;
			if (!kernel_has_module(l, k[i].version, *m)) {
				fixup_plan_add_problem(
				        l->p, origin, true,
				        "install a kernel with virtio drivers "
				        "before converting",
				        "kernel %s has no module %s",
				        k[i].version, *m);
				continue;
			}
			ok = false;
			if (!util_strv_contains(missing, *m) &&
			    util_strv_push(&missing, *m) < 0)
				return -ENOMEM;
		}
		fixup_plan_record(
		        l->p, origin, "initramfs %s: %s", k[i].initramfs,
		        ok ? "has the needed modules" : "lacks needed modules");
	}
	for (size_t i = 0; i < n; i++) {
		free(k[i].version);
		free(k[i].initramfs);
	}
	free(k);
	if (!missing)
		return 0;

	/* Make the guest's next initramfs build include them. */
	_cleanup_free_ char *list = util_strv_join(missing, " ");
	const char *tool = NULL;
	bool dir = false;

	if (exists(l, "/etc/dracut.conf.d", &dir) && dir)
		tool = "dracut";
	else if (exists(l, "/etc/initramfs-tools", &dir) && dir)
		tool = "initramfs-tools";
	else if (exists(l, "/etc/sysconfig/kernel", NULL))
		tool = "mkinitrd";
	if (!tool)
		return fixup_plan_add_problem(
		        l->p, origin, true,
		        "boot the guest on a bus its initramfs has (IDE/SATA) "
		        "and rebuild it there",
		        "initramfs lacks %s and the guest's initramfs tool is "
		        "unknown",
		        list);
	if (streq(tool, "dracut")) {
		_cleanup_free_ char *conf = NULL;

		r = linux_initramfs_config("dracut", missing, &conf);
		if (r >= 0)
			r = fixup_plan_write_file(
			        l->p, l->in->root,
			        "/etc/dracut.conf.d/90-imgfix.conf", origin,
			        "dracut: add the drivers", conf, strlen(conf));
	} else {
		const char *path = streq(tool, "initramfs-tools")
		                           ? "/etc/initramfs-tools/modules"
		                           : "/etc/sysconfig/kernel";
		_cleanup_free_ char *text = NULL, *out = NULL;
		size_t len = 0;

		r = read_text(l, path, &text, &len);
		if (r == -ENOENT) {
			text = strdup("");
			r = text ? 0 : -ENOMEM;
		}
		if (r < 0)
			return r;
		if (streq(tool, "initramfs-tools")) {
			bool nl = len == 0 || text[len - 1] == '\n';

			r = util_asprintf(&out, "%s%s# Added by imgfix:\n",
			                  text, nl ? "" : "\n");
			STRV_FOREACH (m, missing) {
				char *t;

				if (r < 0 ||
				    util_asprintf(&t, "%s%s\n", out, *m) < 0)
					return -ENOMEM;
				free(out);
				out = t;
			}
		} else {
			/* SUSE: append to INITRD_MODULES="..." */
			char *q = strstr(text, "INITRD_MODULES=\"");

			if (!q)
				r = util_asprintf(&out,
				                  "%sINITRD_MODULES=\"%s\"\n",
				                  text, list);
			else {
				q += strlen("INITRD_MODULES=\"");
				r = util_asprintf(&out, "%.*s%s %s",
				                  (int)(q - text), text, list,
				                  q);
			}
		}
		if (r < 0)
			return r;
		r = fixup_plan_write_file(l->p, l->in->root, path, origin,
		                          "initramfs: add the drivers", out,
		                          strlen(out));
	}
	if (r < 0)
		return r;
	fixup_plan_record(l->p, origin, "%s configured to include %s", tool,
	                  list);
	return fixup_plan_add_problem(
	        l->p, origin, false,
	        "imgfix does not run the rebuild on any road yet: run dracut "
	        "-f / update-initramfs -u / mkinitrd in the guest, booted on "
	        "a bus its initramfs has (IDE/SATA)",
	        "initramfs rebuild still needed: it lacks %s", list);
}

static int
persistent_net(struct lin_ctx *l, const struct rules_action *a,
               const char *origin)
{
	const char *hw = rules_action_get(a, "hwaddr");
	_cleanup_strv_free_ char **ifcfg = NULL;
	int r;

	r = remove_if_present(l, "/etc/udev/rules.d/70-persistent-net.rules",
	                      origin, "pins old MAC addresses");
	if (r < 0 || (hw && streq(hw, "false")))
		return r;
	r = list_matching(l, "/etc/sysconfig/network-scripts", "ifcfg-*",
	                  &ifcfg);
	if (r < 0)
		return r;
	STRV_FOREACH (f, ifcfg) {
		_cleanup_free_ char *text = NULL, *out = NULL;
		size_t len, n;
		unsigned changes;

		if (read_text(l, *f, &text, &len) < 0)
			continue;
		if (linux_ifcfg_drop_hwaddr(text, len, &out, &n, &changes) <
		            0 ||
		    changes == 0)
			continue;
		r = fixup_plan_write_file(l->p, l->in->root, *f, origin,
		                          "drop HWADDR", out, n);
		if (r < 0)
			return r;
	}
	return 0;
}

static int
disable_unit(struct lin_ctx *l, const struct rules_action *a,
             const char *origin)
{
	const char *name = rules_action_get(a, "name");
	const char *pkg = rules_action_get(a, "package");
	_cleanup_strv_free_ char **wants = NULL;
	unsigned n = 0;
	int r;

	r = list_matching(l, "/etc/systemd/system", "*.wants", &wants);
	if (r < 0)
		return r;
	STRV_FOREACH (w, wants) {
		_cleanup_strv_free_ char **links = NULL;

		r = list_matching(l, *w, name, &links);
		if (r < 0)
			return r;
		STRV_FOREACH (k, links) {
			r = remove_if_present(l, *k, origin,
			                      "disable a foreign tools unit");
			if (r < 0)
				return r;
			n++;
		}
	}
	if (n && pkg)
		fixup_plan_note(l->p,
		                "%s: remove package %s at first boot "
		                "(not done offline)",
		                origin, pkg);
	return 0;
}

static int
xorg(struct lin_ctx *l, const struct rules_action *a, const char *origin)
{
	_cleanup_strv_free_ char **from = NULL, **files = NULL;
	const char *to = rules_action_get(a, "to");
	int r;

	r = util_strv_split(rules_action_get(a, "from"), " ,", &from);
	if (r < 0)
		return r;
	r = list_matching(l, "/etc/X11/xorg.conf.d", "*.conf", &files);
	if (r < 0)
		return r;
	if (exists(l, "/etc/X11/xorg.conf", NULL) &&
	    (r = util_strv_push(&files, "/etc/X11/xorg.conf")) < 0)
		return r;
	STRV_FOREACH (f, files) {
		_cleanup_free_ char *text = NULL, *out = NULL;
		size_t len, n;
		unsigned changes;

		if (read_text(l, *f, &text, &len) < 0)
			continue;
		r = linux_xorg_rewrite(text, len, from, to, &out, &n, &changes);
		if (r < 0)
			return r;
		if (changes == 0)
			continue;
		r = fixup_plan_write_file(l->p, l->in->root, *f, origin,
		                          "X driver", out, n);
		if (r < 0)
			return r;
	}
	return 0;
}

int
fixup_plan_build_linux(const struct fixup_plan_input *in, struct fixup_plan *p)
{
	struct lin_ctx l = {in, p};
	int r = 0;

	for (size_t i = 0; i < rules_result_size(in->actions) && r >= 0; i++) {
		const struct rules_action *a = rules_result_get(in->actions, i);
		_cleanup_free_ char *origin = fixup_action_origin(a);

		if (!origin)
			return -ENOMEM;
		switch (a->kind) {
		case RULES_ACTION_REMAP_DISKS:
			r = remap_disks(&l, a, origin);
			break;
		case RULES_ACTION_FSTAB_TO_UUID:
			r = fstab_to_uuid(&l, a, origin);
			break;
		case RULES_ACTION_INITRAMFS_MODULES:
			r = initramfs_modules(&l, a, origin);
			break;
		case RULES_ACTION_REMOVE_PERSISTENT_NET:
			r = persistent_net(&l, a, origin);
			break;
		case RULES_ACTION_DISABLE_UNIT:
			r = disable_unit(&l, a, origin);
			break;
		case RULES_ACTION_XORG_DRIVER:
			r = xorg(&l, a, origin);
			break;
		case RULES_ACTION_WARN:
			r = fixup_plan_warn(p, "%s: %s", origin,
			                    rules_action_get(a, "message"));
			break;
		default:
			r = fixup_plan_warn(
			        p,
			        "%s: %s is a Windows action, ignored on a "
			        "Linux guest",
			        origin, rules_action_kind_to_string(a->kind));
			break;
		}
	}
	return r;
}

const struct fixup_family fixup_family_linux = {
        .name = "linux",
        .inspect = fixup_inspect_linux,
        .plan = fixup_plan_build_linux,
};
