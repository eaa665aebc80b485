# boot: reach init, show what SDEI said
dmesg | grep -i sdei | while read -r l; do kmsg "seen: $l"; done
