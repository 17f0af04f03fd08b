// The worker executable. Not implemented yet: see issue "The cluster".
print("worker: not available yet (the cluster issue is open). Usage: worker --coordinator HOST:PORT [--token-file F] [--threads N] [--name N]")
