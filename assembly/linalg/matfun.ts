// placeholder: being written
export const __placeholder_matfun: i32 = 0;
