/** `npm run bench`: every benchmark, each printed with its same-run baseline and the ratio. */
import { runAuthBench } from './auth-bench.ts';
import { runChartBench } from './chart-bench.ts';
import { runProjectsBench } from './projects-bench.ts';
import { runImportBench } from './import-bench.ts';
import { runSearchBench } from './search-bench.ts';
import { runServerBench } from './server-bench.ts';
import { runTableBench, runTableQueriesBench } from './table-bench.ts';
import { runTrackingBench } from './tracking-bench.ts';
import { runModelsBench } from './models-bench.ts';
import { runTeamBench } from './team-bench.ts';
import { runMlrunsImportBench } from './mlruns-import-bench.ts';
import { runTensorBoardBench } from './tensorboard-bench.ts';

console.log(`Flowdesk benchmarks on ${process.platform} ${process.arch}, Node ${process.version}`);
await runTrackingBench();
await runSearchBench();
await runServerBench();
await runAuthBench();
await runChartBench();
await runProjectsBench();
await runModelsBench();
await runImportBench();
await runTensorBoardBench();
await runTableQueriesBench();
await runTableBench();
await runTeamBench();
await runMlrunsImportBench();
