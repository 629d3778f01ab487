// The part of jstat (no types of its own) that the statistics use.
declare module 'jstat' {
  export const jStat: {
    studentt: {
      /** The quantile function of Student's t distribution with `dof` degrees of freedom. */
      inv(p: number, dof: number): number;
    };
  };
}
