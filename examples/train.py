"""A training loop that logs to runelog by printing JSON lines, with nothing to install.

    runelog exec --experiment py -- python3 examples/train.py
"""
import json
import math
import random

random.seed(7)
params = {"lr": 0.05, "epochs": 20, "optimizer": "sgd"}
print(json.dumps({"params": params}), flush=True)
print("training a toy model")  # ordinary output is shown as it is

loss = 2.0
for epoch in range(1, params["epochs"] + 1):
    loss *= 1 - params["lr"] * (0.8 + 0.4 * random.random())
    acc = 1 - math.exp(-epoch / 6)
    print(json.dumps({"metrics": {"loss": round(loss, 5), "acc": round(acc, 5)}, "step": epoch}))
    if epoch % 5 == 0:
        print(f"epoch {epoch}: loss {loss:.4f}")

print(json.dumps({"tags": {"stage": "done"}}))
