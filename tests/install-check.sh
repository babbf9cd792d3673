#!/usr/bin/env bash
# make install / make uninstall round trip into a temporary DESTDIR: a program
# must build against the installed headers and library through pkg-config, and
# uninstall must leave no file behind.
set -euo pipefail
build=${BUILD:-build}
dest=$(mktemp -d "${TMPDIR:-/tmp}/vmfs-install.XXXXXX")
trap 'rm -rf "$dest"' EXIT
make -s install PREFIX=/usr DESTDIR="$dest" BUILD="$build" SANITIZE="${SANITIZE:-0}" >/dev/null
for f in usr/bin/vmfs-inspect usr/lib/libvmfs.a usr/lib/libvmfs.so usr/include/vmfs/disk.h \
	 usr/lib/pkgconfig/vmfs.pc usr/share/man/man1/vmfs-inspect.1; do
	[ -e "$dest/$f" ] || { echo "install-check: $f not installed"; exit 1; }
done
cat > "$dest/probe.c" <<'C'
#include <vmfs/vmware_uuid.h>
#include <stdio.h>
int main(void)
{
	vmfs_uuid u;
	char text[VMFS_UUID_TEXT_LEN + 1];
	if (!vmfs_uuid_parse(&u, "49edf844-da2dde19-747b-0021280083cf"))
		return 1;
	puts(vmfs_uuid_format(&u, text));
	return 0;
}
C
pc() { PKG_CONFIG_SYSROOT_DIR="$dest" PKG_CONFIG_PATH="$dest/usr/lib/pkgconfig" pkg-config "$@" vmfs; }
# Shared library, found through the .pc file's -L and -l.
${CC:-cc} ${SAN_FLAGS:-} -I"$dest/usr/include" $(pc --cflags) "$dest/probe.c" -o "$dest/probe" \
	-L"$dest/usr/lib" $(pc --libs)
out=$(LD_LIBRARY_PATH="$dest/usr/lib" "$dest/probe")
[ "$out" = "49edf844-da2dde19-747b-0021280083cf" ] || { echo "install-check: probe printed '$out'"; exit 1; }
# Static archive with the private dependencies the .pc file names.
${CC:-cc} ${SAN_FLAGS:-} -I"$dest/usr/include" $(pc --cflags) "$dest/probe.c" -o "$dest/probe" \
	"$dest/usr/lib/libvmfs.a" $(pc --libs --static | sed 's/-lvmfs//')
out=$("$dest/probe")
[ "$out" = "49edf844-da2dde19-747b-0021280083cf" ] || { echo "install-check: probe printed '$out'"; exit 1; }
make -s uninstall PREFIX=/usr DESTDIR="$dest" BUILD="$build" SANITIZE="${SANITIZE:-0}" >/dev/null
left=$(find "$dest/usr" -type f -o -type l)
[ -z "$left" ] || { echo "install-check: uninstall left: $left"; exit 1; }
echo "install-check: install, build against the installed library, uninstall: ok"
