// placeholder: being written
export const __placeholder_tridiagonal: i32 = 0;
