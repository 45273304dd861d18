/**
 * The sign-in lines `baton start` prints. The console's accounts live in the
 * database; on embedded defaults a demo team and user are created at the
 * first start.
 */
export async function demoSignIn(_databaseUrl: string, _embedded: boolean): Promise<string[]> {
  return ['  Sign in     create an account on the sign-in page'];
}
