"""The resident process: `memtree query` and `memtree hook` answered by a process that has
already imported memtree (docs/resident.md). `place`: where its socket lives and which install
it serves; `client`: the lean side in the console script; `server`: the process, which forks a
child per command (`child`) that runs it with the caller's streams, folder and environment
(`wire`: the request); `control`: status, start and stop for `memtree resident`.
"""
