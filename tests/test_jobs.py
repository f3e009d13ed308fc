"The papermill job notebooks, run end to end with small parameters into a temporary folder."
import json
import papermill as pm
import pytest

def run_benchmark(tmp_path, root, **params)->dict:
    "Run the benchmark job notebook with `params` into `tmp_path/bench`; its results.json."
    out = tmp_path/'bench'
    pm.execute_notebook(str(root/'nbs'/'jobs'/'benchmark.ipynb'), str(tmp_path/'benchmark.ipynb'), cwd=str(root),
                        kernel_name='python3', progress_bar=False, parameters=dict(out_dir=str(out), **params))
    return json.loads((out/'results.json').read_text())

@pytest.mark.slow
def test_benchmark_job_engine_section(tmp_path, root):
    out = tmp_path/'bench'
    r = run_benchmark(tmp_path, root, repeats=1, steps=5, n_small=30, n_large=60, sections='engine,default_predictor,cascade_classifier,state_forecaster',
                      quick=True, dp_train_sims=8, dp_test_sims=6, dp_epochs=2)
    e = r['engine']
    for k in ('sim_steps100_n100_s', 'sim_steps100_n1000_s', 'eisenberg_noe_n1000_ms'):
        assert e[k] > 0
    assert r['machine']['cpus'] >= 1
    assert (out/'engine.png').exists()
    d = r['default_predictor']
    for k in ('auc', 'f1', 'brier', 'ece', 'ood_auc', 'single_ms_p50', 'single_noconf_ms_p50', 'batch32_ms_p50',
              'features_n1000_ms', 'sim_overhead_ratio', 'train_s', 'datagen_s'):
        assert k in d, k
    assert set(d['baselines']) == {'bayesian', 'logistic', 'gbm'} and 0 <= d['baselines']['gbm']['auc'] <= 1
    f = r['state_forecaster']
    for k in ('rmse', 'mae', 'rmse_per_feature', 'rmse_per_step', 'ews_precision', 'ews_recall', 'ews_median_lead_steps', 'train_s'):
        assert k in f, k
    assert set(f['baselines']) == {'persistence', 'linear_ar'} and len(f['rmse_per_step']) == 10
    big = f['large_test']
    assert big['n_simulations'] == 14 and big['ews']['defaults'] >= 0 and set(big['baselines']) == {'persistence', 'linear_ar'}
    fs = f['feature_screen']
    assert fs['n_sets'] == 1716 and len(fs['per_feature']) == 13 and fs['state_features']['rmse'] > 0
    assert 0 <= fs['n_sets_meeting_both'] <= min(fs['n_sets_meeting_rmse'], fs['n_sets_meeting_ratio'])
    c = r['cascade_classifier']
    for k in ('macro_f1', 'macro_auc', 'confusion_matrix', 'batch64_ms', 'train_s'):
        assert k in c, k
    assert set(c['baselines']) == {'majority', 'pooled_logistic', 'pooled_gbm'}

@pytest.mark.slow
def test_benchmark_job_scale_section(tmp_path, root):
    "The scale section at toy sizes: every figure present, fresh-process memory, the same results whichever way the generators ran."
    out = tmp_path/'bench'
    s = run_benchmark(tmp_path, root, repeats=1, steps=5, sections='scale', scale_sizes='40,80', scale_agreement_sizes='60',
                      throughput_sims=8, scale_celery=True)['scale']
    assert set(s['sizes']) == {'scale_free', 'core_periphery'}
    for kind, rows in s['sizes'].items():
        assert set(rows) == {'40', '80'}
        for r in rows.values():
            for k in ('generate_s', 'sim100_s_ml_off', 'sim100_s_ml_on', 'ms_per_step', 'us_per_institution_step',
                      'en_clearing_ms', 'ml_us_per_institution_step', 'features_us_per_institution_step'):
                assert r[k] > 0, (kind, k)
            assert r['rss_after_import_mb'] < r['peak_rss_mb'] < 2048 and 0 <= r['ml_used_fraction'] <= 1
        assert s['targets'][kind] is None and s['slopes_10k_100k'][kind]['sim100_s_ml_off'] is None   # no 10,000 / 100,000 here
    for k in ('scale_free/60', 'core_periphery/60'):
        p = s['predictor'][k]
        assert 0.9 <= p['should_use_agreement'] <= 1 and 0 <= p['max_abs_prob_diff'] <= 1 and p['rows'] == 60*5
    for k in ('phase1_generator', 'phase2_scenario_sweep'):
        t = s['throughput'][k]
        assert t['same_results'] is True
        for w in ('processes_1', 'processes_2', 'celery_1', 'celery_2'): assert t[f'{w}_sims_per_s'] > 0
    assert (out/'scale.png').exists()

def run_into_contagion_aware(tmp_path, root, section:str)->dict:
    "Run the benchmark's `section` at toy size on a results.json that already holds a `contagion_aware` section: that section after the run, its earlier keys checked kept."
    out = tmp_path/'bench'; out.mkdir()
    (out/'results.json').write_text(json.dumps({'contagion_aware': {'debtrank': {'ap_undecided': 0.5}}}))
    c = run_benchmark(tmp_path, root, repeats=1, sections=section, quick=True)['contagion_aware']
    assert c['debtrank'] == {'ap_undecided': 0.5}   # the training section's keys stay
    return c

@pytest.mark.slow
def test_benchmark_job_contagion_in_loop_section(tmp_path, root):
    "The contagion model in the loop at toy size: its timing, its oracle share, added to the contagion_aware section it finds, the rest kept."
    c = run_into_contagion_aware(tmp_path, root, 'contagion_in_loop')
    t = c['in_loop']['timing']['300']
    assert t['ml_calls'] >= 1 and t['ml_us_per_institution_step'] > 0 and t['n'] == 300
    assert set(c['oracle_share']) == {'defaults', 'equity_lost'} and c['outcome_ablation']['paired_scenarios'] == 12
    assert set(c['outcome_ablation']['sources']) == {'contagion_model', 'model', 'oracle'}

@pytest.mark.slow
def test_benchmark_job_contagion_scaling_section(tmp_path, root):
    "DebtRank with more training data at toy size: each factor's figures, added to the contagion_aware section it finds, the rest kept."
    sc = run_into_contagion_aware(tmp_path, root, 'contagion_scaling')['debtrank_scaling']
    assert list(sc['factors']) == ['1', '4'] and sc['train_seeds'] == [0]
    assert sc['factors']['4']['train_scenarios'] == 4*sc['factors']['1']['train_scenarios']

@pytest.mark.slow
def test_benchmark_job_science_section(tmp_path, root):
    "The science section at toy sizes: every regime scored, no collapse labelled 'no cascade', the ablation's shares, no flipped decision."
    from rudra_ml.science.protocol import REGIMES
    out = tmp_path/'bench'
    s = run_benchmark(tmp_path, root, repeats=1, sections='science', quick=True)['science']
    assert set(s['undecided']['regimes']) == set(REGIMES)
    for name, r in s['undecided']['regimes'].items():
        assert 'metrics' in r['all'], name
        for sub in ('all', 'undecided'):
            if 'metrics' in r[sub]: assert 0 <= r[sub]['metrics']['model']['auc'] <= 1, (name, sub)
            else: assert r[sub]['absent'], (name, sub)      # a row set that cannot be scored says why
    assert s['labels']['collapse_labelled_no_cascade'] == 0 and 0 <= s['labels']['eba_20pct_p_systemic'] <= 1
    assert s['labels']['eba_no_shock_p_systemic'] < 0.5                      # no loss at all: no alarm
    d = s['no_shock']                                                         # a year with no scenario shock on the EBA banks
    assert d['seeds'] == 2 and d['contagions']['eisenberg_noe']['defaults_max'] == 0 and d['leverage_spectral_radius'] > 1
    assert d['contagions']['debtrank (alpha=1)']['defaults_max'] == 0
    a = s['ablation']
    assert a['paired_scenarios'] == 12 and set(a['oracle_share']) == {'model', 'logistic3', 'contagion_model', 'pd0', 'pd1', 'oracle'}
    assert s['mc_sequential']['disagreements_total'] == 0 and s['mc_sequential']['rows_checked'] > 0
    assert len(s['mc_sequential']['thresholds']) == 46
    h = s['pd_horizon']                                                       # the filter's PD horizon and the one-year readings
    assert h['pd_horizon_steps'] == 12 and h['test_simulations'] == 8 and h['fit']['log_loss_fitted'] <= h['fit']['log_loss_start']
    assert h['variants']['shipped']['effect']['defaults']['changed'] == 0 and 'one_year' in h['variants']
    assert (out/'science.png').exists()
