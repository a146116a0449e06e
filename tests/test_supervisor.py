"""run_all's Supervisor, on fake processes and a fake clock: it starts a dead process again when the
policy says, logs which died, how and the attempt, and stops the system with the reason and the end of
the log of a process that keeps dying at start."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))

from run_all import GaveUp, Launcher, Supervisor  # noqa: E402


class FakeProcess:
    pids = iter(range(100, 1000))

    def __init__(self):
        self.pid, self.code = next(self.pids), None

    def poll(self):
        return self.code


class World:
    def __init__(self, names=("registry", "tasks"), log_path=None):
        self.now, self.said, self.started = 0.0, [], {}
        launchers = [Launcher(name, self._starter(name), log_path) for name in names]
        self.supervisor = Supervisor(launchers, clock=lambda: self.now, say=self.said.append)
        self.supervisor.start_all()

    def _starter(self, name):
        def start():
            proc = FakeProcess()
            self.started.setdefault(name, []).append(proc)
            return proc
        return start

    def proc(self, name):
        return self.started[name][-1]

    def at(self, seconds):
        self.now = seconds
        self.supervisor.tick()


def test_a_dead_process_is_started_again_after_its_back_off_and_the_restart_is_logged():
    world = World()
    first = world.proc("tasks")
    world.at(60)
    first.code = -9
    world.at(60.1)
    assert world.said == [f"tasks (pid {first.pid}) was killed by signal 9 (SIGKILL); "
                          "starting it again in 0.5 s (restart 1)"]
    world.at(60.5)
    assert len(world.started["tasks"]) == 1          # not before its time
    world.at(60.6)
    second = world.proc("tasks")
    assert second is not first
    assert world.said[-1] == f"tasks started again, pid {second.pid}"
    assert len(world.started["registry"]) == 1       # the others are left alone
    assert ("tasks", second) in world.supervisor.procs


def test_an_exit_code_is_named_as_such_and_the_second_restart_waits_longer():
    world = World()
    world.at(60)
    world.proc("tasks").code = 1
    world.at(61)
    assert "exited with code 1; starting it again in 0.5 s (restart 1)" in world.said[-1]
    world.at(62)
    world.at(70)
    world.proc("tasks").code = 1
    world.at(71)
    assert "starting it again in 1 s (restart 2)" in world.said[-1]


def test_a_process_that_keeps_dying_at_start_stops_the_system_with_the_end_of_its_log(tmp_path):
    log = tmp_path / "tasks.log"
    log.write_text("".join(f"line {n}\n" for n in range(100)) + "OSError: [Errno 98] Address already in use\n")
    world = World(names=("tasks",), log_path=str(log))
    with pytest.raises(GaveUp) as stopped:
        for _ in range(10):
            world.proc("tasks").code = 1
            world.at(world.now + 1)       # found dead
            world.at(world.now + 60)      # its restart is due
    message = str(stopped.value)
    assert "exited with code 1; it died 5 times in a row within 10 s of starting, so EMSS stops." in message
    assert message.endswith("OSError: [Errno 98] Address already in use")
    assert "line 99" in message and "line 0\n" not in message
    assert len(world.started["tasks"]) == 5
