/* bottle-probe: placeholder until the probe helper lands. */
int main(void)
{
	return 0;
}
