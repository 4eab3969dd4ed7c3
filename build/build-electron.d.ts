export async function buildElectron(options?: { outDir?: string; logLevel?: string }): Promise<{ main: string; preload: string }>;
