/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests for fixup/linux/linux-conf.c: byte-exact rewrites of Linux configs. */
#include <dirent.h>

#include "linux/linux.h"
#include "tests.h"

static char *const from_all[] = {"sd", "hd", "xvd", "cciss/c0d", "nvme", NULL};
static const struct linux_remap to_vd = {from_all, "vd"};

static void
check_rewrite(enum linux_conf_kind kind, const char *in, const char *want,
              unsigned want_changes)
{
	_cleanup_free_ char *out = NULL;
	size_t n;
	unsigned c;

	ASSERT_OK(linux_conf_rewrite(in, strlen(in), kind, linux_remap_device,
	                             (void *)&to_vd, &out, &n, &c));
	ASSERT_STREQ(out, want);
	ASSERT_EQ(n, strlen(want));
	ASSERT_EQ(c, want_changes);
}

TEST(device_names)
{
	static const char *const cases[][2] = {
	        {"/dev/sda1", "/dev/vda1"},
	        {"/dev/sdb", "/dev/vdb"},
	        {"/dev/hdc5", "/dev/vdc5"},
	        {"/dev/xvda2", "/dev/vda2"},
	        {"/dev/sdaa3", "/dev/vdaa3"},
	        {"/dev/nvme0n1p2", "/dev/vda2"},
	        {"/dev/nvme1n1", "/dev/vdb"},
	        {"/dev/cciss/c0d0p1", "/dev/vda1"},
	        {"/dev/mapper/vg-root", NULL},
	        {"/dev/vda1", NULL},
	        {"/dev/sdX1x", NULL},
	        {"UUID=1234", NULL},
	        {"/dev/disk/by-uuid/x", NULL},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *r =
		        linux_remap_device(cases[i][0], (void *)&to_vd);

		if (cases[i][1])
			ASSERT_STREQ(r, cases[i][1]);
		else
			ASSERT_NULL(r);
	}
}

TEST(fstab_keeps_every_other_byte)
{
	check_rewrite(LINUX_CONF_FSTAB,
	              "# /etc/fstab: static file system information.\r\n"
	              "/dev/sda1 /  ext4 errors=remount-ro 0 1\r\n"
	              "\t/dev/sda5\tnone swap sw 0 0\n"
	              "UUID=abcd /home ext4 defaults 0 2\n"
	              "#/dev/sdb1 /old ext4 defaults 0 2\n"
	              "/dev/sr0 /media/cdrom0 udf,iso9660 user,noauto 0 0",
	              "# /etc/fstab: static file system information.\r\n"
	              "/dev/vda1 /  ext4 errors=remount-ro 0 1\r\n"
	              "\t/dev/vda5\tnone swap sw 0 0\n"
	              "UUID=abcd /home ext4 defaults 0 2\n"
	              "#/dev/sdb1 /old ext4 defaults 0 2\n"
	              "/dev/sr0 /media/cdrom0 udf,iso9660 user,noauto 0 0",
	              2);
}

TEST(crypttab_and_device_map)
{
	check_rewrite(LINUX_CONF_CRYPTTAB,
	              "sda2_crypt /dev/sda2 none luks,discard\n",
	              "sda2_crypt /dev/vda2 none luks,discard\n", 1);
	check_rewrite(LINUX_CONF_DEVICE_MAP,
	              "(hd0)     /dev/sda\n(fd0) /dev/fd0\n",
	              "(hd0)     /dev/vda\n(fd0) /dev/fd0\n", 1);
}

TEST(grub_kernel_lines)
{
	check_rewrite(LINUX_CONF_GRUB_LEGACY,
	              "#boot=/dev/sda\ntitle x\n\troot (hd0,0)\n"
	              "\tkernel /vmlinuz ro root=/dev/hda6 resume=/dev/hda2 "
	              "hdd=ide-scsi\n",
	              "#boot=/dev/sda\ntitle x\n\troot (hd0,0)\n"
	              "\tkernel /vmlinuz ro root=/dev/vda6 resume=/dev/vda2 "
	              "hdd=ide-scsi\n",
	              2);
	check_rewrite(LINUX_CONF_GRUB2_CFG,
	              "\tset root='hd0,msdos1'\n"
	              "\tlinux\t/vmlinuz root=/dev/sda1 ro quiet\n"
	              "\tlinuxefi /vmlinuz root=/dev/mapper/vg-lv ro\n",
	              "\tset root='hd0,msdos1'\n"
	              "\tlinux\t/vmlinuz root=/dev/vda1 ro quiet\n"
	              "\tlinuxefi /vmlinuz root=/dev/mapper/vg-lv ro\n",
	              1);
	check_rewrite(LINUX_CONF_GRUB_DEFAULT,
	              "GRUB_DEFAULT=0\n"
	              "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet resume=/dev/sda5\"\n"
	              "GRUB_CMDLINE_LINUX='root=/dev/xvda1'\n",
	              "GRUB_DEFAULT=0\n"
	              "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet resume=/dev/vda5\"\n"
	              "GRUB_CMDLINE_LINUX='root=/dev/vda1'\n",
	              2);
	check_rewrite(LINUX_CONF_BLS,
	              "title Rocky\nlinux /vmlinuz\noptions root=/dev/sda2 ro "
	              "noroot=/dev/sda3\n",
	              "title Rocky\nlinux /vmlinuz\noptions root=/dev/vda2 ro "
	              "noroot=/dev/sda3\n",
	              1);
}

static char *
to_uuid(const char *dev, void *userdata)
{
	return streq(dev, "/dev/sda1") ? strdup("UUID=0f1e") : NULL;
}

TEST(fstab_to_uuid)
{
	static const char in[] = "/dev/sda1 / ext4 defaults 0 1\n";
	_cleanup_free_ char *out = NULL;
	unsigned c;

	ASSERT_OK(linux_conf_rewrite(in, strlen(in), LINUX_CONF_FSTAB, to_uuid,
	                             NULL, &out, NULL, &c));
	ASSERT_STREQ(out, "UUID=0f1e / ext4 defaults 0 1\n");
	ASSERT_EQ(c, 1);
}

TEST(kind_for_path)
{
	enum linux_conf_kind k;

	ASSERT_OK(linux_conf_kind_for_path("/etc/fstab", &k));
	ASSERT_EQ(k, LINUX_CONF_FSTAB);
	ASSERT_OK(linux_conf_kind_for_path("boot/loader/entries/a.conf", &k));
	ASSERT_EQ(k, LINUX_CONF_BLS);
	ASSERT_OK(linux_conf_kind_for_path("boot/grub2/grub.cfg", &k));
	ASSERT_EQ(k, LINUX_CONF_GRUB2_CFG);
	ASSERT_ERR(linux_conf_kind_for_path("etc/passwd", &k), -ENOENT);
}

TEST(modprobe_ifcfg_xorg)
{
	static const char mp[] =
	        "alias eth0 e1000\r\nalias scsi_hostadapter "
	        "mptspi\r\nalias scsi_hostadapter1 ata_piix\r\n"
	        "options foo bar=1\r\n";
	static const char ifcfg[] = "DEVICE=eth0\nHWADDR=00:11:22:33:44:55\n"
	                            "BOOTPROTO=dhcp\n  MACADDR=x\n";
	static const char xorg[] = "Section \"Device\"\n\tDriver \"vmware\"\n"
	                           "EndSection\n";
	static char *const xfrom[] = {"vmware", "vboxvideo", NULL};
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;
	unsigned n;

	ASSERT_OK(linux_modprobe_rewrite(mp, strlen(mp), "virtio_blk",
	                                 "virtio_net", &a, NULL, &n));
	ASSERT_STREQ(a, "alias eth0 virtio_net\r\nalias scsi_hostadapter "
	                "virtio_blk\r\n# imgfix: alias scsi_hostadapter1 "
	                "ata_piix\r\noptions foo bar=1\r\n");
	ASSERT_EQ(n, 3);
	ASSERT_OK(linux_ifcfg_drop_hwaddr(ifcfg, strlen(ifcfg), &b, NULL, &n));
	ASSERT_STREQ(b, "DEVICE=eth0\nBOOTPROTO=dhcp\n");
	ASSERT_EQ(n, 2);
	ASSERT_OK(linux_xorg_rewrite(xorg, strlen(xorg), xfrom, "modesetting",
	                             &c, NULL, &n));
	ASSERT_STREQ(c, "Section \"Device\"\n\tDriver \"modesetting\"\n"
	                "EndSection\n");
	ASSERT_EQ(n, 1);
}

/* Every grubby test config: a rewrite changes only device tokens, and
 * mapping back (vd -> sd) of an sd-only file gives the original bytes. */
TEST(grubby_corpus_round_trip)
{
	_cleanup_free_ char *dir = tests_corpus("linux-boot/grubby/test");
	static char *const from_vd[] = {"vd", NULL};
	static char *const from_sd[] = {"sd", NULL};
	const struct linux_remap back = {from_vd, "sd"};
	const struct linux_remap fwd = {from_sd, "vd"};
	DIR *d = opendir(dir);
	struct dirent *de;
	unsigned files = 0, changed = 0;

	ASSERT_NOT_NULL(d);
	while ((de = readdir(d))) {
		enum linux_conf_kind kind;
		_cleanup_free_ char *p = NULL, *text = NULL, *a = NULL,
		                    *b = NULL;
		size_t len, na, nb;
		unsigned ca, cb;

		if (util_startswith(de->d_name, "grub2."))
			kind = LINUX_CONF_GRUB2_CFG;
		else if (util_startswith(de->d_name, "grub."))
			kind = LINUX_CONF_GRUB_LEGACY;
		else
			continue;
		p = util_path_join(dir, de->d_name);
		if (util_read_file(p, 1 << 20, &text, &len) < 0)
			continue;
		if (strstr(text, "/dev/vd"))
			continue; /* not an sd-only file */
		files++;
		ASSERT_OK(linux_conf_rewrite(text, len, kind,
		                             linux_remap_device, (void *)&fwd,
		                             &a, &na, &ca));
		ASSERT_EQ(na, len); /* same-length names */
		ASSERT_OK(linux_conf_rewrite(a, na, kind, linux_remap_device,
		                             (void *)&back, &b, &nb, &cb));
		ASSERT_EQ(ca, cb);
		ASSERT_EQ(nb, len);
		ASSERT_MEMEQ(b, text, len);
		if (ca)
			changed++;
	}
	closedir(d);
	ASSERT_TRUE(files >= 20);
	ASSERT_TRUE(changed >= 3);
}
