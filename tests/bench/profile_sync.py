"""Profile of syncing clients one after another (no latency): where a client's CPU goes. Run by hand:
`python -m tests.bench.profile_sync [clients]`; prints the top functions by own and cumulative time."""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path


def main(count: int = 30) -> None:
    from simulator.testing import SimAdmin, SimProcess

    with tempfile.TemporaryDirectory() as folder, SimProcess() as sim, SimAdmin(sim.url) as admin:
        os.environ.update(
            KSEF_CONSOLE_DATA_DIR=folder,
            KSEF_CONSOLE_DATABASE_URL=f"sqlite:///{Path(folder) / 'console.db'}",
            KSEF_CONSOLE_SIM_URL=sim.url,
        )
        os.environ.pop("KSEF_CONSOLE_MASTER_KEY", None)
        from core import db
        from core.services.linking.links import LinkRequest, connect_client
        from core.services.sync.engine import sync_client
        from core.settings import reload_settings
        from core.types import AuthMethod
        from tests.bench.test_fleet_bench import _new_invoices, _nips, _office_with_clients

        reload_settings()
        db.set_engine(None)
        db.upgrade()
        actor, ids = _office_with_clients(admin, count)
        for client_id in ids:
            connect_client(actor=actor, client_id=client_id, request=LinkRequest(AuthMethod.ksef_token))
            sync_client(actor=actor, client_id=client_id)
        _new_invoices(admin, list(_nips(ids).values()))
        admin.reset_stats()
        profiler = cProfile.Profile()
        started, cpu = time.perf_counter(), time.process_time()
        if os.environ.get("PROFILE_JOBS"):  # the whole job path: claim, run, outcome, as a worker does it
            from core.jobs.worker import drain
            from tests.bench.test_fleet_bench import _syncs

            _syncs(actor, ids, "profiled")
            profiler.enable()
            drain()
        else:
            profiler.enable()
            for client_id in ids:
                sync_client(actor=actor, client_id=client_id)
        profiler.disable()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        stats = admin.stats()
        print(
            f"{count} clients: wall {wall:.2f} s, console CPU {cpu / count * 1000:.1f} ms per client, "
            f"{stats['requests'] / count:.1f} requests per client, simulator own time "
            f"p50 {stats['ownTime'].get('p50Ms')} ms"
        )
        if os.environ.get("PROFILE_OUT"):  # for pstats or snakeviz
            profiler.dump_stats(os.environ["PROFILE_OUT"])
        table = pstats.Stats(profiler)
        table.sort_stats("cumulative").print_stats(45)
        table.sort_stats("tottime").print_stats(25)
        if os.environ.get("PROFILE_CALLERS"):  # e.g. PROFILE_CALLERS="compile|ipaddress"
            table.print_callers(os.environ["PROFILE_CALLERS"])


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
