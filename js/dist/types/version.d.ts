/** The SDK's version. It matches js/package.json (the build checks this). */
export declare const VERSION = "0.1.0";
