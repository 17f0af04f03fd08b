// The coordinator executable. Not implemented yet: see issue "The cluster".
print("coordinator: not available yet (the cluster issue is open). Usage: coordinator --config cluster.yaml [--resume]")
