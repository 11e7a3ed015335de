// The types of build-rules.mjs, for the tests that import it.
export declare const isCommanderFile: (importer: string) => boolean;
