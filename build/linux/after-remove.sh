#!/bin/bash
# postrm (deb) / %postun (rpm) of CXR Lens. electron-builder fills in ${executable} and
# ${sanitizedProductName}. The first part does what its own after-remove template does (drop the
# /usr/bin link and the AppArmor profile), tolerant of a second call: dpkg runs postrm for
# "remove" and again for "purge".
set -e

# An upgrade keeps everything: rpm runs the old %postun ("1") after the new %post, so removing the
# link there would take away the one the new version just made; dpkg's "upgrade" needs nothing either.
case "$1" in
    1|upgrade|failed-upgrade) exit 0 ;;
esac

if type update-alternatives >/dev/null 2>&1; then
    update-alternatives --remove '${executable}' '/opt/${sanitizedProductName}/${executable}' || true
else
    rm -f '/usr/bin/${executable}'
fi

APPARMOR_PROFILE_DEST='/etc/apparmor.d/${executable}'
if [ -f "$APPARMOR_PROFILE_DEST" ]; then
    if apparmor_status --enabled >/dev/null 2>&1 && hash apparmor_parser 2>/dev/null; then
        # Live AppArmor operations mean nothing inside a chroot (an image being prepared).
        if ! { command -v ischroot >/dev/null 2>&1 && ischroot; }; then
            apparmor_parser --remove "$APPARMOR_PROFILE_DEST" || true
        fi
    fi
    rm -f "$APPARMOR_PROFILE_DEST"
fi

# Data outlives the program: `apt remove` (and every rpm erase or upgrade) keeps the case database,
# images, backups and the pseudonym key. Only `apt purge` (dpkg passes "purge") deletes the
# per-machine data folder. The machine policy in /etc/cxr-lens (IT's file, not the package's),
# a data folder the policy moved elsewhere, a site pseudonym key on a share and each user's
# ~/.config/CXR Lens are never touched here (docs/INSTALL.md, Uninstalling).
# LEAD: keep MACHINE_DATA equal to the per-machine data folder src/main uses on Linux.
MACHINE_DATA='/var/lib/cxr-lens'
if [ "$1" = "purge" ] && [ -d "$MACHINE_DATA" ]; then
    rm -rf -- "$MACHINE_DATA"
fi
exit 0
