import { runTableBench } from '/work/wt-table/bench/table-bench.ts';
await runTableBench();
