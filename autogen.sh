#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
set -e
srcdir=$(dirname "$0")
test -n "$srcdir" || srcdir=.
cd "$srcdir"
mkdir -p m4 build-aux
autoreconf --force --install --verbose
