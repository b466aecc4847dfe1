#!/bin/sh
# Copies from a recorded sysfs tree (SRC, holding sys/) into DEST only what the sysfs USB
# backend reads: the /sys/bus/usb/devices links, each device's and interface's identity
# files, and the uevent of the tty and block children that name their /dev nodes.
# Usage: trim-sysfs.sh SRC DEST
set -eu
src=$1
dest=$2
cd "$src"
mkdir -p "$dest/sys/bus/usb"
cp -a sys/bus/usb/devices "$dest/sys/bus/usb/"
find sys/devices \( -name idVendor -o -name idProduct -o -name product -o -name manufacturer -o -name serial \
  -o -name bDeviceClass -o -name bDeviceSubClass -o -name bDeviceProtocol -o -name busnum -o -name devnum \
  -o -name bInterfaceClass -o -name bInterfaceSubClass -o -name bInterfaceProtocol -o -name interface \) -type f |
  grep '/usb[0-9]*/' | while read -r f; do
    mkdir -p "$dest/$(dirname "$f")"
    cp -a "$f" "$dest/$f"
  done
# The tty (ttyUSB*, tty/ttyACM*) and block (block/sr*) children: their uevent says the node's name.
find sys/devices \( -path '*/ttyUSB*/uevent' -o -path '*/tty/tty*/uevent' -o -path '*/block/*/uevent' \) -type f |
  grep '/usb[0-9]*/' | while read -r f; do
    mkdir -p "$dest/$(dirname "$f")"
    cp -a "$f" "$dest/$f"
  done
