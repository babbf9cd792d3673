#!/usr/bin/env bash
# make install / make uninstall round trip into a temporary DESTDIR: a program
# must build against the installed headers and library through pkg-config
# (shared, and static with the recipe of libvmfs(3)), the installed tools,
# library and headers must not carry the test-only fault-injection seam, bash
# completion must be installed for every tool, and uninstall must leave no
# file behind.
set -euo pipefail
build=${BUILD:-build}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest=$(mktemp -d "${TMPDIR:-/tmp}/vmfs-install.XXXXXX")
trap 'rm -rf "$dest"' EXIT
make -s install PREFIX=/usr DESTDIR="$dest" BUILD="$build" SANITIZE="${SANITIZE:-0}" >/dev/null
for f in usr/bin/vmfs-inspect usr/lib/libvmfs.a usr/lib/libvmfs.so usr/include/vmfs/discover/disk.h \
	 usr/lib/pkgconfig/vmfs.pc usr/share/man/man1/vmfs-inspect.1 usr/share/man/man3/libvmfs.3 \
	 usr/share/vmfs/vmfs-tools.schema.json; do
	[ -e "$dest/$f" ] || { echo "install-check: $f not installed"; exit 1; }
done
tools=(vmfs-inspect vmfs-backup vmfs-diff vmfs-restore vmfs-resignature)
for t in "${tools[@]}"; do
	[ -x "$dest/usr/bin/$t" ] || { echo "install-check: $t not installed"; exit 1; }
	comp="$dest/usr/share/bash-completion/completions/$t"
	[ -f "$comp" ] || { echo "install-check: no bash completion for $t"; exit 1; }
	bash -c 'source "$1" && complete -p "$2"' _ "$comp" "$t" >/dev/null ||
		{ echo "install-check: $comp does not register a completion for $t"; exit 1; }
done
# The fault-injection seam (vmfs/core/fault.h, VMFS_TEST_FAULT) is test-only: no
# installed binary, library or header has it, while the test build does (so
# the search below can find it when it is there).
[ ! -e "$dest/usr/include/vmfs/core/fault.h" ] || { echo "install-check: vmfs/core/fault.h installed"; exit 1; }
# The comparison's shared context is internal to the library (diff.h is its interface).
[ ! -e "$dest/usr/include/vmfs/compare/diff_internal.h" ] ||
	{ echo "install-check: vmfs/compare/diff_internal.h installed"; exit 1; }
if grep -rl 'VMFS_TEST_FAULT\|vmfs_fault' "$dest/usr/include"; then
	echo "install-check: an installed header names the fault seam"; exit 1
fi
# (grep reads a process substitution: with pipefail, grep -q ending a pipe early
# would make strings fail and the pipe false.)
grep -q VMFS_TEST_FAULT < <(strings "$build/fault/bin/vmfs-restore") ||
	{ echo "install-check: the test build has no fault seam: the check below would prove nothing"; exit 1; }
for f in "$dest"/usr/bin/* "$dest"/usr/lib/libvmfs.a "$dest"/usr/lib/libvmfs.so.*.*; do
	if grep -q 'VMFS_TEST_FAULT\|vmfs_fault_' < <(strings "$f"); then
		echo "install-check: $f carries the test-only fault-injection seam"; exit 1
	fi
done
cat > "$dest/probe.c" <<'C'
#include <vmfs/format/vmware_uuid.h>
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
# Static archive: the recipe of libvmfs(3) (the archive, then the libraries
# of Requires.private), and what `pkg-config --static --libs vmfs` prints.
# --whole-archive links every object of the archive, so every library any
# module needs (nettle for backups, zlib, libfdisk...) must be named.
recipe=$(sed -n '/^cc .*pkg\\-config \\-\\-cflags vmfs) \\e$/,/^\.fi/p' "$root/man/libvmfs.3" | tail -n 2 | head -n 1)
recipe_libs=$(printf '%s' "$recipe" | sed 's/\\-/-/g; s/.*\$(pkg-config \(.*\))$/\1/')
case "$recipe_libs" in --libs\ *) ;; *) echo "install-check: no static-link recipe found in libvmfs(3)"; exit 1 ;; esac
for libs in "$(pkg-config $recipe_libs)" "$(pc --libs --static | sed 's/-lvmfs//')"; do
	${CC:-cc} ${SAN_FLAGS:-} -I"$dest/usr/include" $(pc --cflags) "$dest/probe.c" -o "$dest/probe" \
		-Wl,--whole-archive "$dest/usr/lib/libvmfs.a" -Wl,--no-whole-archive $libs ||
		{ echo "install-check: static link with '$libs' failed"; exit 1; }
	out=$("$dest/probe")
	[ "$out" = "49edf844-da2dde19-747b-0021280083cf" ] || { echo "install-check: probe printed '$out'"; exit 1; }
done
make -s uninstall PREFIX=/usr DESTDIR="$dest" BUILD="$build" SANITIZE="${SANITIZE:-0}" >/dev/null
left=$(find "$dest/usr" -type f -o -type l)
[ -z "$left" ] || { echo "install-check: uninstall left: $left"; exit 1; }
# A build where pkg-config cannot find the packages stops at once with
# pkg-config's reason and the way out, instead of compiling with no flags.
msg=$(PKG_CONFIG_LIBDIR="$dest/nowhere" PKG_CONFIG_PATH= make -s -C "$root" BUILD="$dest/build" lib 2>&1) &&
	{ echo "install-check: a build without pkg-config packages succeeded"; exit 1; }
case "$msg" in
*"pkg-config --cflags"*"failed: Package "*"make deps"*) ;;
*) echo "install-check: unclear error without pkg-config packages: $msg"; exit 1 ;;
esac
[ ! -e "$dest/build/obj" ] || { echo "install-check: objects were compiled without pkg-config flags"; exit 1; }
echo "install-check: install, build against the installed library, uninstall, pkg-config failure: ok"
