#!/bin/sh
# A shell loop that logs to runelog by printing JSON lines:
#   runelog exec --experiment sh -- sh examples/train.sh
echo '{"params": {"batch": 32, "shell": "sh"}}'
loss=1000
step=1
while [ "$step" -le 10 ]; do
  loss=$((loss * 8 / 10))
  echo "{\"metrics\": {\"loss\": $loss}, \"step\": $step}"
  echo "step $step done"
  step=$((step + 1))
done
